#include "adapters/postgres/impl/pg_connection.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

namespace rooms::pg {

namespace {

// PostgreSQL's binary timestamps count microseconds from 2000-01-01T00:00:00Z.
constexpr std::int64_t kPgEpochMicros = 946'684'800'000'000;

constexpr const char* kConnectHint =
    "hint: check postgres.dsn (host, port, database, user, password) and that the PostgreSQL server is running "
    "and accepts connections from this host";
constexpr const char* kLostHint =
    "hint: the server closed the connection (restart, failover, idle timeout or an administrator), or the network "
    "failed; the pool reconnects on the next call";
constexpr const char* kSchemaHint =
    "hint: the database schema is missing or out of date; apply it with `rooms migrate up --config FILE`";

template <typename T>
void PutBigEndian(std::string& out, T v) {
    auto u = static_cast<std::make_unsigned_t<T>>(v);
    for (int shift = static_cast<int>(sizeof(T) * 8) - 8; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((u >> shift) & 0xff));
}

template <typename T>
T GetBigEndian(std::string_view in) {
    std::make_unsigned_t<T> u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) u = (u << 8) | static_cast<unsigned char>(in[i]);
    return static_cast<T>(u);
}

std::int64_t ToPgMicros(TimePoint t) { return t.time_since_epoch().count() - kPgEpochMicros; }

/// The binary form of a one-dimensional array without NULLs (array_send): header, then each element as its
/// length and bytes.
template <typename T, typename Encode>
std::string EncodeArray(Oid element_type, std::span<const T> items, Encode encode) {
    std::string out;
    PutBigEndian<std::int32_t>(out, 1);  // dimensions
    PutBigEndian<std::int32_t>(out, 0);  // flags: no NULLs
    PutBigEndian<std::uint32_t>(out, element_type);
    PutBigEndian<std::int32_t>(out, static_cast<std::int32_t>(items.size()));
    PutBigEndian<std::int32_t>(out, 1);  // lower bound
    std::string element;
    for (const T& item : items) {
        element.clear();
        encode(element, item);
        PutBigEndian<std::int32_t>(out, static_cast<std::int32_t>(element.size()));
        out += element;
    }
    return out;
}

/// libpq messages span lines ("...\n\tIs the server running..."); logs want one.
std::string OneLine(const char* message) {
    std::string out;
    bool space = false;
    for (const char* p = message ? message : ""; *p != '\0'; ++p) {
        if (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ') {
            space = !out.empty();
            continue;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(*p);
    }
    return out;
}

void LogNotice(void* /*arg*/, const char* message) { spdlog::debug("postgres: {}", OneLine(message)); }

bool LooksLikeConnectionString(std::string_view dsn) {
    return dsn.find('=') != std::string_view::npos || dsn.starts_with("postgresql://") ||
           dsn.starts_with("postgres://");
}

bool IsConnectionSqlstate(std::string_view state) {
    // Class 08 (connection exception), and the server shutting down or terminating this backend.
    return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03";
}

}  // namespace

// ---- Params ----

Params& Params::Add(Oid type, std::string bytes) {
    types_.push_back(type);
    values_.push_back(std::move(bytes));
    return *this;
}

Params& Params::Int8(std::int64_t v) {
    std::string b;
    PutBigEndian(b, v);
    return Add(kInt8Oid, std::move(b));
}

Params& Params::Int2(std::int16_t v) {
    std::string b;
    PutBigEndian(b, v);
    return Add(kInt2Oid, std::move(b));
}

Params& Params::Text(std::string_view v) { return Add(kTextOid, std::string(v)); }

Params& Params::Bytea(std::span<const unsigned char> v) {
    return Add(kByteaOid, std::string(reinterpret_cast<const char*>(v.data()), v.size()));
}

Params& Params::Timestamptz(TimePoint v) {
    std::string b;
    PutBigEndian(b, ToPgMicros(v));
    return Add(kTimestamptzOid, std::move(b));
}

Params& Params::Int8Array(std::span<const std::int64_t> v) {
    return Add(kInt8ArrayOid, EncodeArray(kInt8Oid, v, [](std::string& out, std::int64_t x) { PutBigEndian(out, x); }));
}

Params& Params::Int2Array(std::span<const std::int16_t> v) {
    return Add(kInt2ArrayOid, EncodeArray(kInt2Oid, v, [](std::string& out, std::int16_t x) { PutBigEndian(out, x); }));
}

Params& Params::TextArray(std::span<const std::string_view> v) {
    return Add(kTextArrayOid, EncodeArray(kTextOid, v, [](std::string& out, std::string_view x) { out += x; }));
}

Params& Params::TimestamptzArray(std::span<const TimePoint> v) {
    return Add(kTimestamptzArrayOid, EncodeArray(kTimestamptzOid, v, [](std::string& out, TimePoint x) {
                   PutBigEndian(out, ToPgMicros(x));
               }));
}

Params::Raw Params::Pointers() const {
    Raw raw;
    for (const std::string& v : values_) {
        raw.values.push_back(v.data());
        raw.lengths.push_back(static_cast<int>(v.size()));
        raw.formats.push_back(1);  // binary
    }
    return raw;
}

// ---- Result ----

std::string_view Result::Bytes(int row, int col, Oid expected, int expected_size) const {
    if (PQftype(r_.get(), col) != expected)
        throw PgError("postgres: column " + std::to_string(col) + " has type " +
                      std::to_string(PQftype(r_.get(), col)) + ", expected " + std::to_string(expected));
    if (IsNull(row, col)) throw PgError("postgres: unexpected NULL in column " + std::to_string(col));
    const int length = PQgetlength(r_.get(), row, col);
    if (expected_size >= 0 && length != expected_size)
        throw PgError("postgres: column " + std::to_string(col) + " has " + std::to_string(length) + " bytes");
    return {PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(length)};
}

std::int64_t Result::Int(int row, int col) const {
    switch (PQftype(r_.get(), col)) {
        case kInt2Oid:
            return GetBigEndian<std::int16_t>(Bytes(row, col, kInt2Oid, 2));
        case kInt4Oid:
            return GetBigEndian<std::int32_t>(Bytes(row, col, kInt4Oid, 4));
        default:
            return GetBigEndian<std::int64_t>(Bytes(row, col, kInt8Oid, 8));
    }
}

bool Result::Bool(int row, int col) const { return Bytes(row, col, kBoolOid, 1)[0] != 0; }

std::string Result::Text(int row, int col) const {
    const Oid type = PQftype(r_.get(), col) == kByteaOid ? kByteaOid : kTextOid;
    return std::string(Bytes(row, col, type, -1));
}

TimePoint Result::Time(int row, int col) const {
    const auto pg_micros = GetBigEndian<std::int64_t>(Bytes(row, col, kTimestamptzOid, 8));
    return TimePoint(std::chrono::microseconds(pg_micros + kPgEpochMicros));
}

std::int64_t Result::Affected() const {
    const char* n = PQcmdTuples(r_.get());
    return (n && *n) ? std::stoll(n) : 0;
}

// ---- Connection ----

Connection::Connection(ConnectSettings settings) : settings_(std::move(settings)) {
    if (LooksLikeConnectionString(settings_.dsn)) {
        // libpq's parse errors quote the string, which may hold a password: report without them.
        char* error = nullptr;
        PQconninfoOption* options = PQconninfoParse(settings_.dsn.c_str(), &error);
        if (options == nullptr) {
            PQfreemem(error);
            throw PgConnectionError(
                "postgres: postgres.dsn is not a valid connection string; hint: write it as "
                "postgresql://USER@HOST:PORT/DATABASE or as key=value pairs (see the libpq documentation)");
        }
        PQconninfoFree(options);
    }
    // Keywords are applied in order: the DSN (expanded from dbname) overrides the defaults listed before it.
    const std::string timeout = std::to_string(settings_.connect_timeout_s);
    const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {timeout.c_str(), settings_.application_name.c_str(), settings_.dsn.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (conn_ == nullptr) throw PgConnectionError("postgres: out of memory while connecting");
    try {
        if (PQstatus(conn_) != CONNECTION_OK) {
            ThrowConnectionError("cannot connect to " + Describe(conn_), kConnectHint);
        }
        PQsetNoticeProcessor(conn_, &LogNotice, nullptr);
        SetUpSession();
    } catch (...) {
        PQfinish(conn_);
        throw;
    }
}

Connection::~Connection() { PQfinish(conn_); }

void Connection::SetUpSession() {
    if (settings_.schema) {
        ExecuteOnce("SELECT pg_catalog.set_config('search_path', $1, false)",
                    Params().Text(QuoteIdentifier(*settings_.schema)));
    }
    if (settings_.statement_timeout_ms > 0) {
        ExecuteOnce("SELECT pg_catalog.set_config('statement_timeout', $1, false)",
                    Params().Text(std::to_string(settings_.statement_timeout_ms)));
    }
}

void Connection::ThrowConnectionError(const std::string& what, const char* hint) const {
    throw PgConnectionError("postgres: " + what + ": " + OneLine(PQerrorMessage(conn_)) + "; " + hint);
}

Result Connection::Check(PGresult* r, std::string_view what, bool schema_hint) {
    Result result(r);
    const ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;

    const char* sqlstate = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const std::string state = sqlstate ? sqlstate : "";
    if (PQstatus(conn_) == CONNECTION_BAD || IsConnectionSqlstate(state))
        ThrowConnectionError("connection to " + Describe(conn_) + " lost during " + std::string(what), kLostHint);
    // Only the primary message: the detail may quote values (a nickname, a token hash).
    const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string message =
        "postgres: " + std::string(what) + ": " + (primary ? primary : OneLine(PQerrorMessage(conn_)));
    if (!state.empty()) message += " (SQLSTATE " + state + ")";
    if (schema_hint && (state == "42P01" || state == "3F000" || state == "42703")) {
        message += std::string("; ") + kSchemaHint;
    }
    if (state == "57014") message += "; hint: the statement ran longer than the statement timeout, or was cancelled";
    throw PgError(message, state);
}

Result Connection::Execute(const Statement& statement, const Params& params) {
    const Params::Raw raw = params.Pointers();
    for (int attempt = 1;; ++attempt) {
        if (!prepared_.contains(statement.name)) {
            Check(PQprepare(conn_, statement.name, statement.sql, params.size(), params.types()), statement.name,
                  /*schema_hint=*/true);
            prepared_.insert(statement.name);
        }
        try {
            return Check(PQexecPrepared(conn_, statement.name, params.size(), raw.values.data(), raw.lengths.data(),
                                        raw.formats.data(), /*resultFormat=binary*/ 1),
                         statement.name, /*schema_hint=*/true);
        } catch (const PgError& e) {
            // The session lost its prepared statements (DISCARD ALL, e.g. from a connection pooler): prepare again.
            if (e.sqlstate() != "26000" || attempt > 1) throw;
            prepared_.clear();
        }
    }
}

Result Connection::ExecuteOnce(const char* sql, const Params& params) {
    const Params::Raw raw = params.Pointers();
    return Check(PQexecParams(conn_, sql, params.size(), params.types(), raw.values.data(), raw.lengths.data(),
                              raw.formats.data(), /*resultFormat=binary*/ 1),
                 "query");
}

void Connection::ExecuteScript(const std::string& sql) { Check(PQexec(conn_, sql.c_str()), "script"); }

bool Connection::NeedsReset() const {
    if (PQstatus(conn_) != CONNECTION_OK) return true;
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) return true;
    pollfd p{};
    p.fd = PQsocket(conn_);
    p.events = POLLIN;
    int ready;
    do {
        ready = ::poll(&p, 1, 0);
    } while (ready < 0 && errno == EINTR);
    return ready != 0;
}

void Connection::Reset() {
    prepared_.clear();
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) ThrowConnectionError("cannot reconnect to " + Describe(conn_), kConnectHint);
    SetUpSession();
    spdlog::info("postgres: reconnected to {}", Describe(conn_));
}

// ---- helpers ----

std::string Describe(const PGconn* conn) {
    auto or_default = [](const char* s) { return std::string(s && *s ? s : "?"); };
    return or_default(PQuser(conn)) + "@" + or_default(PQhost(conn)) + ":" + or_default(PQport(conn)) + "/" +
           or_default(PQdb(conn));
}

std::string QuoteIdentifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

void LogRetry(const PgConnectionError& error) { spdlog::warn("{}; retrying once", error.what()); }

}  // namespace rooms::pg

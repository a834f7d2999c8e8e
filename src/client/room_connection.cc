#include "client/room_connection.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <random>
#include <utility>

#include "client/impl/signal.h"

namespace rooms::client {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using State = RoomStatus::State;

namespace {

/// A connection that stayed up this long resets the backoff; one that ends sooner (a server that accepts and
/// closes at once, e.g. over a connection cap) keeps doubling it.
constexpr auto kHeldConnection = 10s;
/// A handshake refused with 401 right after a renewal is tried again this many times before backing off.
constexpr int kMaxUnauthorizedInARow = 3;
/// The server closes a room socket with this code when its access token expires or its session is revoked
/// (docs/API.md): renew and reconnect at once, as after a 401.
constexpr int kSessionEndedClose = 4001;
/// Sockets closed with kSessionEndedClose sooner than this after they opened, more than kMaxUnauthorizedInARow
/// in a row, back off as any other failure.
constexpr auto kQuickClose = 1s;

/// Runs the coroutine `fn` returns, detached (co_spawn keeps `fn`, and so its captures, alive until it ends);
/// an exception (a bug) ends that coroutine only.
template <typename Fn>
void Spawn(const asio::any_io_executor& executor, Fn&& fn) {
    asio::co_spawn(executor, std::forward<Fn>(fn), [](const std::exception_ptr&) {});
}

}  // namespace

RoomConnection::RoomConnection(const asio::any_io_executor& executor, ApiClient& api, AuthSession& auth, RoomInfo room,
                               RoomObserver& observer)
    : executor_(executor),
      api_(api),
      auth_(auth),
      room_(std::move(room)),
      observer_(observer),
      backoff_(500ms, 30s, std::random_device{}()),
      retry_timer_(executor) {}

void RoomConnection::Start() {
    Spawn(executor_, [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->Run(); });
}

void RoomConnection::Stop() {
    if (stopped_) return;
    stopped_ = true;
    retry_timer_.cancel();
    if (!socket_) return;
    if (writing_) {
        socket_->Abort();
    } else {
        Spawn(executor_, [socket = socket_]() -> asio::awaitable<void> { co_await socket->Close(); });
    }
}

bool RoomConnection::Send(std::string content) {
    if (pending_.size() >= kMaxPending) return false;
    pending_.push_back({std::move(content)});
    KickWriter();
    observer_.OnChanged(room_.id);
    return true;
}

void RoomConnection::SetState(State state, std::string reason) {
    status_.state = state;
    if (!reason.empty()) status_.reason = std::move(reason);
    if (!stopped_) observer_.OnChanged(room_.id);
}

asio::awaitable<void> RoomConnection::Run() {
    int unauthorized = 0;
    int quick_session_closes = 0;  // in a row, each within kQuickClose of its opening
    while (!stopped_) {
        SetState(State::kConnecting);
        const std::string token = auth_.access_token();
        OpenedSocket opened = co_await api_.OpenRoom(token, room_.id);
        if (stopped_) {
            if (opened.socket) opened.socket->Abort();
            break;
        }
        if (opened.http_status == 401 && ++unauthorized <= kMaxUnauthorizedInARow) {
            AuthOutcome renewed = co_await auth_.Renew(token);
            if (renewed.ok()) continue;
            if (auth_.ended()) {
                SetState(State::kGone, "the session has ended");
                break;
            }
        }
        if (opened.http_status == 404 || opened.http_status == 400) {
            SetState(State::kGone, "the room does not exist (any more)");
            break;
        }
        if (!opened.socket) {
            co_await WaitBeforeRetry(opened.error);
            continue;
        }
        unauthorized = 0;
        const auto since = std::chrono::steady_clock::now();
        const int close_code = co_await Live(std::move(opened.socket));
        if (stopped_) break;
        const auto held = std::chrono::steady_clock::now() - since;
        if (held >= kHeldConnection) backoff_.Reset();
        if (held >= kQuickClose) quick_session_closes = 0;
        if (close_code == kSessionEndedClose && ++quick_session_closes <= kMaxUnauthorizedInARow) {
            // The token's end, not a failure: no backoff. A revoked session fails the renewal (or the next
            // handshake's) and ends above.
            AuthOutcome renewed = co_await auth_.Renew(token);
            if (renewed.ok()) continue;
            if (auth_.ended()) {
                SetState(State::kGone, "the session has ended");
                break;
            }
        }
        co_await WaitBeforeRetry(status_.reason);
    }
    status_.state = State::kStopped;
    finished_ = true;
}

asio::awaitable<void> RoomConnection::WaitBeforeRetry(const std::string& reason) {
    const auto delay = backoff_.Next();
    status_.attempt = backoff_.attempts();
    status_.retry_at = std::chrono::steady_clock::now() + delay;
    SetState(State::kWaiting, reason);
    co_await impl::Sleep(retry_timer_, delay);
}

asio::awaitable<int> RoomConnection::Live(std::unique_ptr<RoomSocket> opened) {
    socket_ = std::move(opened);
    auto socket = socket_;
    SocketRead first = co_await socket->Read();
    std::string reason;
    int close_code = first.close_code;
    if (first.ok) {
        if (auto history = ParseMessageList(first.text)) {
            co_await MergeHistory(std::move(*history));
        } else {
            // Not the history array: a server that sends none; the frame is an ordinary one.
            HandleFrame(first.text);
        }
        if (!stopped_) {
            live_ = true;
            status_.attempt = 0;
            SetState(State::kLive);
            KickWriter();
            while (!stopped_) {
                SocketRead frame = co_await socket->Read();
                if (!frame.ok) {
                    reason = frame.error;
                    close_code = frame.close_code;
                    break;
                }
                HandleFrame(frame.text);
            }
        }
    } else {
        reason = first.error;
    }
    live_ = false;
    socket->Abort();
    if (socket_ == socket) socket_.reset();
    for (auto& p : pending_) {
        if (p.written) p.maybe_sent = true;
        p.written = false;
    }
    if (!reason.empty()) status_.reason = reason;
    co_return close_code;
}

asio::awaitable<void> RoomConnection::MergeHistory(std::vector<ChatMessage> history) {
    RoomTimeline::Resume resume = timeline_.BeginResume(history);
    for (int page = 0; resume.NeedsOlder() && !stopped_; ++page) {
        if (page == kMaxGapPages) {
            resume.GiveUp("more than " + std::to_string(kMaxGapPages * kPageSize) + " messages were missed");
            break;
        }
        const std::string before = resume.OlderThan();
        if (before.empty()) {
            resume.GiveUp("the server has no message ids to page back with");
            break;
        }
        auto older = co_await auth_.Authorized<std::vector<ChatMessage>>(
            [&](std::string token) { return api_.Messages(std::move(token), room_.id, before, kPageSize); });
        if (!older.ok()) {
            resume.GiveUp(older.status == 404 ? "the server offers no scroll-back" : older.error);
            break;
        }
        resume.AddOlder(*older.value, kPageSize);
    }
    if (stopped_) co_return;
    std::vector<ChatMessage> fresh = timeline_.Commit(std::move(resume));
    Confirm(fresh);
    observer_.OnMessages(room_.id, fresh);
}

void RoomConnection::HandleFrame(const std::string& text) {
    auto frame = ParseRoomFrame(text);
    if (!frame) {
        observer_.OnNotice(room_.id, "the server sent a frame the client does not understand");
        return;
    }
    if (frame->error) {
        // The server refused one of ours; it answers in order, so the oldest written one is the likeliest.
        std::string content;
        for (auto it = pending_.begin(); it != pending_.end(); ++it) {
            if (it->written) {
                content = it->content;
                pending_.erase(it);
                break;
            }
        }
        if (content.size() > 40) content = content.substr(0, 40) + "...";
        observer_.OnNotice(room_.id, "not sent: " + *frame->error + (content.empty() ? "" : " (" + content + ")"));
        observer_.OnChanged(room_.id);
        return;
    }
    if (timeline_.AppendLive(*frame->message)) {
        std::vector<ChatMessage> fresh{std::move(*frame->message)};
        Confirm(fresh);
        observer_.OnMessages(room_.id, fresh);
    }
}

void RoomConnection::Confirm(const std::vector<ChatMessage>& fresh) {
    bool changed = false;
    for (const auto& m : fresh) {
        if (m.type != "message" || m.nickname != auth_.nickname()) continue;
        for (auto it = pending_.begin(); it != pending_.end(); ++it) {
            if ((it->written || it->maybe_sent) && it->content == m.content) {
                pending_.erase(it);
                changed = true;
                break;
            }
        }
    }
    if (changed) observer_.OnChanged(room_.id);
}

void RoomConnection::KickWriter() {
    if (writing_ || !live_ || !socket_ || stopped_) return;
    writing_ = true;
    Spawn(executor_, [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->WriteLoop(); });
}

asio::awaitable<void> RoomConnection::WriteLoop() {
    auto socket = socket_;
    while (live_ && socket_ == socket && !stopped_) {
        auto next = std::find_if(pending_.begin(), pending_.end(), [](const auto& p) { return !p.written; });
        if (next == pending_.end()) break;
        next->written = true;  // before the write: the echo may be handled before this coroutine resumes
        std::string content = next->content;
        if (!co_await socket->Write(std::move(content))) break;
    }
    writing_ = false;
}

asio::awaitable<void> RoomConnection::LoadOlder() {
    if (loading_older_ || timeline_.reached_start()) co_return;
    const std::string oldest = timeline_.OldestId();
    if (oldest.empty()) co_return;
    loading_older_ = true;
    auto self = shared_from_this();
    auto page = co_await auth_.Authorized<std::vector<ChatMessage>>(
        [&](std::string token) { return api_.Messages(std::move(token), room_.id, oldest, kPageSize); });
    loading_older_ = false;
    if (stopped_) co_return;
    if (!page.ok()) {
        observer_.OnNotice(room_.id, "older messages could not be loaded: " + page.error);
        co_return;
    }
    timeline_.PrependOlder(*page.value, kPageSize);
    observer_.OnChanged(room_.id);
}

}  // namespace rooms::client

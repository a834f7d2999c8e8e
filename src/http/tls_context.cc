#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace rooms {

namespace {

// TLS 1.2: ECDHE key exchange (forward secrecy) with AEAD ciphers only — Mozilla's "intermediate" list without the
// finite-field DHE suites. TLS 1.3 suites are all AEAD; OpenSSL's defaults stay.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

constexpr const char* kHint =
    " (hint: tls.cert_file is the PEM chain, e.g. certbot's fullchain.pem, and tls.key_file its key, privkey.pem; "
    "both readable by this user)";

// What OpenSSL says went wrong last (its error queue, emptied).
std::string OpenSslErrors() {
    std::string out;
    while (const unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

void CheckReadable(const char* key, const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(std::string(key) + " " + path + ": " + std::strerror(errno) + kHint);
}

std::shared_ptr<asio::ssl::context> Load(const TlsSettings& s) {
    CheckReadable("tls.cert_file", s.cert_file);
    CheckReadable("tls.key_file", s.key_file);
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    ERR_clear_error();
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1)
        throw std::runtime_error("TLS: cannot set the protocol versions and ciphers: " + OpenSslErrors());
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(native, s.cert_file.c_str()) != 1)
        throw std::runtime_error("tls.cert_file " + s.cert_file +
                                 " is not a PEM certificate chain: " + OpenSslErrors() + kHint);
    // OpenSSL compares the key with the certificate already when it loads it.
    const bool loaded = SSL_CTX_use_PrivateKey_file(native, s.key_file.c_str(), SSL_FILETYPE_PEM) == 1;
    const bool mismatch = !loaded && ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    if (!loaded && !mismatch)
        throw std::runtime_error("tls.key_file " + s.key_file + " is not a PEM private key: " + OpenSslErrors() +
                                 kHint);
    if (mismatch || SSL_CTX_check_private_key(native) != 1)
        throw std::runtime_error("tls.key_file " + s.key_file + " does not match the certificate in tls.cert_file " +
                                 s.cert_file + ": " + OpenSslErrors() + kHint);
    return ctx;
}

std::string NameOf(const X509_NAME* name) {
    char buf[512];
    X509_NAME_oneline(name, buf, sizeof buf);
    return buf;
}

std::string TimeOf(const ASN1_TIME* t) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (!bio) return "?";
    ASN1_TIME_print(bio, t);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
}

std::string SerialOf(const X509* cert) {
    BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
    if (!bn) return "?";
    char* hex = BN_bn2hex(bn);
    std::string out = hex ? hex : "?";
    OPENSSL_free(hex);
    BN_free(bn);
    return out;
}

}  // namespace

TlsContext::TlsContext(const TlsSettings& settings) : settings_(settings), current_(Load(settings_)) {}

std::shared_ptr<asio::ssl::context> TlsContext::Current() const {
    std::lock_guard lock(mu_);
    return current_;
}

std::optional<std::string> TlsContext::Reload() {
    std::shared_ptr<asio::ssl::context> fresh;
    try {
        fresh = Load(settings_);
    } catch (const std::exception& e) {
        return e.what();
    }
    std::lock_guard lock(mu_);
    current_ = std::move(fresh);
    return std::nullopt;
}

std::string TlsContext::Describe() const {
    const auto ctx = Current();
    const X509* cert = SSL_CTX_get0_certificate(ctx->native_handle());
    if (!cert) return "no certificate";
    return "subject " + NameOf(X509_get_subject_name(cert)) + ", issuer " + NameOf(X509_get_issuer_name(cert)) +
           ", serial " + SerialOf(cert) + ", valid until " + TimeOf(X509_get0_notAfter(cert));
}

}  // namespace rooms

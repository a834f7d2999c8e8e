#pragma once

#include <boost/asio/ssl.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/settings.h"
#include "http/asio.h"

namespace rooms {

/// The server's TLS credentials (tls.*): the certificate chain and its private key in an SSL context that allows
/// modern parameters only — TLS 1.2 with ECDHE key exchange and AEAD ciphers (AES-GCM, ChaCha20-Poly1305), and
/// TLS 1.3; no compression, no renegotiation.
///
/// Reload() builds a new context from the same files and swaps it in: new handshakes use it, connections made
/// before keep the one they were made with (Transport holds it), so a certificate is replaced without dropping
/// anyone. Thread-safe.
class TlsContext {
  public:
    /// Loads the files. Throws std::runtime_error saying which file is missing, unreadable or not PEM, or that the
    /// key does not belong to the certificate, with a hint for the operator at the end.
    explicit TlsContext(const TlsSettings& settings);

    /// The context for a new connection.
    std::shared_ptr<asio::ssl::context> Current() const;

    /// Re-reads the files (on SIGHUP). On a problem the current context stays in use and the reason is returned.
    std::optional<std::string> Reload();

    /// The current certificate for the log: subject, issuer, serial and expiry.
    std::string Describe() const;

    /// How long a client has to complete its handshake (tls.handshake_timeout_s).
    std::chrono::seconds handshake_timeout() const { return std::chrono::seconds(settings_.handshake_timeout_s); }

  private:
    const TlsSettings settings_;
    mutable std::mutex mu_;
    std::shared_ptr<asio::ssl::context> current_;  // guarded by mu_
};

}  // namespace rooms

#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "client/api_client.h"
#include "client/backoff.h"
#include "client/jwt_expiry.h"
#include "client/token_store.h"

namespace rooms::client {

namespace impl {
class Signal;
}

enum class AuthStatus {
    kOk,
    kNoSession,    // nothing saved for this server and nickname
    kRefused,      // 401: wrong password or unknown nickname; or the refresh token is spent, expired or revoked
    kTaken,        // register: the nickname exists
    kInvalid,      // 400: the server says what is wrong (a nickname or password it does not accept)
    kUnavailable,  // no answer or a 5xx: try again later
};

struct AuthOutcome {
    AuthStatus status = AuthStatus::kOk;
    std::string message;  // for the user; never a token or password
    bool ok() const { return status == AuthStatus::kOk; }
};

/// The logged-in user: the access token every /chat call carries and the refresh token that renews it.
///
/// The refresh token is single-use, so it is saved (TokenStore, atomically) *before* the new access token is
/// used, and a refresh runs under the store's lock of this session, reading the file first: another client of the
/// same user may have rotated it. One renewal runs at a time; callers that arrive meanwhile wait for its outcome.
/// When the server refuses the refresh token (the session is over), the password prompt is asked (up to 3
/// times). Tokens and passwords are never logged or shown. Use from one executor (not thread-safe).
class AuthSession {
  public:
    /// Asks the user for the password, showing `reason`; nullopt when the user gives up (or cannot be asked).
    using PasswordPrompt = std::function<boost::asio::awaitable<std::optional<std::string>>(std::string reason)>;
    using Warn = std::function<void(std::string)>;

    AuthSession(const boost::asio::any_io_executor& executor, ApiClient& api, TokenStore& store, std::string url,
                std::string nickname);
    ~AuthSession();

    /// Renews the saved refresh token of this server and nickname. kNoSession when none is saved (or it is not
    /// safe to use; the warning callback says why), kRefused when the server no longer takes it (the file is
    /// deleted).
    boost::asio::awaitable<AuthOutcome> ResumeStored();
    boost::asio::awaitable<AuthOutcome> Login(std::string password);
    /// Creates the account (does not log in).
    boost::asio::awaitable<AuthOutcome> Register(std::string password);
    /// Revokes the session on the server (best effort) and deletes its file.
    boost::asio::awaitable<void> Logout();

    /// After a 401 to a call made with `used_token`: renews the access token, unless another caller already did.
    /// kOk: call again with access_token(). kRefused: the session is over and no password was given.
    boost::asio::awaitable<AuthOutcome> Renew(std::string used_token);

    /// Runs `call(access_token)`; on 401 renews once and calls again.
    template <typename T, typename Call>
    boost::asio::awaitable<ApiResult<T>> Authorized(Call call) {
        std::string token = access_;
        ApiResult<T> result = co_await call(token);
        if (!result.unauthorized()) co_return result;
        AuthOutcome renewed = co_await Renew(token);
        if (!renewed.ok()) co_return result;
        co_return co_await call(access_);
    }

    /// Refreshes at 80% of each access token's lifetime until Stop(); when the server cannot be reached, tries
    /// again with backoff (2 s doubling to 30 s).
    boost::asio::awaitable<void> KeepFresh();
    void Stop();
    /// Until no renewal (refresh, password prompt, login) is under way, at most `max`: a client that quits must
    /// first save the refresh token the server may already have rotated, or the next start finds a spent one.
    boost::asio::awaitable<void> WaitIdle(std::chrono::milliseconds max);

    void SetPasswordPrompt(PasswordPrompt prompt) { prompt_ = std::move(prompt); }
    /// Told what the user should know but that does not stop anything (e.g. the session could not be saved).
    void SetWarn(Warn warn) { warn_ = std::move(warn); }
    /// Told once when the session ends for good (ended() becomes true).
    void SetOnEnded(std::function<void()> on_ended) { on_ended_ = std::move(on_ended); }

    const std::string& access_token() const { return access_; }
    const std::string& nickname() const { return nickname_; }
    const std::string& user_id() const { return user_id_; }
    /// True once the session is over for good (refused, no password given).
    bool ended() const { return ended_; }

  private:
    boost::asio::awaitable<AuthOutcome> RenewOnce();
    boost::asio::awaitable<AuthOutcome> RefreshLocked();
    void Adopt(const TokenPair& pair);

    boost::asio::any_io_executor executor_;
    ApiClient& api_;
    TokenStore& store_;
    std::string url_;
    std::string nickname_;
    std::string user_id_;
    std::string access_;
    std::string refresh_;
    bool saved_ = false;  // the file holds refresh_ (else it may hold an older, spent token)
    std::chrono::steady_clock::time_point refresh_due_;
    PasswordPrompt prompt_;
    Warn warn_;
    std::function<void()> on_ended_;
    bool renewing_ = false;
    std::shared_ptr<impl::Signal> renewed_;
    AuthOutcome last_renewal_;
    bool ended_ = false;
    bool stopped_ = false;
    Backoff retry_;  // KeepFresh's, while the server cannot be reached
    boost::asio::steady_timer timer_;
};

}  // namespace rooms::client

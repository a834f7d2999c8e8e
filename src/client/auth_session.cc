#include "client/auth_session.h"

#include <ctime>
#include <random>
#include <utility>

#include "client/backoff.h"
#include "client/impl/signal.h"

namespace rooms::client {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr int kPasswordAttempts = 3;
/// How long a refresh waits for another client of the same user to finish its own.
constexpr int kLockAttempts = 100;
constexpr auto kLockRetry = 50ms;
constexpr auto kIdlePoll = 50ms;

AuthOutcome FromFailure(int status, bool transient, const std::string& error) {
    if (status == 401) return {AuthStatus::kRefused, error};
    if (status == 409) return {AuthStatus::kTaken, error};
    if (transient) return {AuthStatus::kUnavailable, error};
    return {AuthStatus::kInvalid, error};
}

}  // namespace

AuthSession::AuthSession(const asio::any_io_executor& executor, ApiClient& api, TokenStore& store, std::string url,
                         std::string nickname)
    : executor_(executor),
      api_(api),
      store_(store),
      url_(std::move(url)),
      nickname_(std::move(nickname)),
      retry_(2s, 30s, std::random_device{}()),
      timer_(executor) {}

AuthSession::~AuthSession() = default;

void AuthSession::Adopt(const TokenPair& pair) {
    // The new refresh token is on disk before anything uses the new access token: if the process dies now, the
    // next start holds a token that works.
    std::string error;
    saved_ = store_.Save({url_, nickname_, pair.refresh_token}, error);
    if (!saved_ && warn_) warn_("the session is not saved, the next start will ask for the password: " + error);
    refresh_ = pair.refresh_token;
    access_ = pair.access_token;
    if (!pair.user_id.empty()) user_id_ = pair.user_id;
    refresh_due_ = std::chrono::steady_clock::now() + RefreshDelay(ReadJwtTimes(access_), std::time(nullptr));
    timer_.cancel();  // KeepFresh looks at the new due time
}

asio::awaitable<AuthOutcome> AuthSession::ResumeStored() {
    std::string warning;
    auto stored = store_.Load(url_, nickname_, &warning);
    if (!stored) {
        if (!warning.empty() && warn_) warn_(warning);
        co_return AuthOutcome{AuthStatus::kNoSession, "no saved session"};
    }
    refresh_ = stored->refresh_token;
    saved_ = true;
    co_return co_await RefreshLocked();
}

asio::awaitable<AuthOutcome> AuthSession::Login(std::string password) {
    auto result = co_await api_.Login(nickname_, std::move(password));
    if (!result.ok()) co_return FromFailure(result.status, result.transient(), result.error);
    Adopt(*result.value);
    co_return AuthOutcome{};
}

asio::awaitable<AuthOutcome> AuthSession::Register(std::string password) {
    auto result = co_await api_.Register(nickname_, std::move(password));
    if (!result.ok()) co_return FromFailure(result.status, result.transient(), result.error);
    co_return AuthOutcome{};
}

asio::awaitable<void> AuthSession::Logout() {
    if (!refresh_.empty()) co_await api_.Logout(refresh_);
    store_.Remove(url_, nickname_);
    refresh_.clear();
    access_.clear();
}

asio::awaitable<AuthOutcome> AuthSession::RefreshLocked() {
    std::optional<FileLock> lock;
    for (int i = 0; i < kLockAttempts && !(lock = store_.TryLock(url_, nickname_)); ++i) {
        asio::steady_timer wait(executor_, kLockRetry);
        co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    // Another client of this user may have rotated the token since we read it; its file is then the newer one.
    if (auto stored = store_.Load(url_, nickname_); saved_ && stored && stored->refresh_token != refresh_)
        refresh_ = stored->refresh_token;
    auto result = co_await api_.Refresh(refresh_);
    if (result.ok()) {
        Adopt(*result.value);
        co_return AuthOutcome{};
    }
    if (result.unauthorized()) {
        store_.Remove(url_, nickname_);
        saved_ = false;
    }
    co_return FromFailure(result.status, result.transient(), result.error);
}

asio::awaitable<AuthOutcome> AuthSession::Renew(std::string used_token) {
    if (used_token != access_) co_return AuthOutcome{};  // renewed since that call was made
    if (ended_) co_return AuthOutcome{AuthStatus::kRefused, "the session has ended"};
    if (renewing_) {
        auto renewed = renewed_;
        co_await renewed->Wait();
        co_return last_renewal_;
    }
    renewing_ = true;
    renewed_ = std::make_shared<impl::Signal>(executor_);
    last_renewal_ = co_await RenewOnce();
    renewing_ = false;
    renewed_->Set();
    co_return last_renewal_;
}

asio::awaitable<AuthOutcome> AuthSession::RenewOnce() {
    AuthOutcome outcome = co_await RefreshLocked();
    if (outcome.status != AuthStatus::kRefused) co_return outcome;
    std::string reason = "the session has ended (" + outcome.message + "); log in again";
    for (int attempt = 0; prompt_ && attempt < kPasswordAttempts; ++attempt) {
        auto password = co_await prompt_(reason);
        if (!password) break;
        AuthOutcome login = co_await Login(std::move(*password));
        if (login.ok() || login.status == AuthStatus::kUnavailable) co_return login;
        reason = "login failed: " + login.message;
    }
    ended_ = true;
    if (on_ended_) on_ended_();
    co_return outcome;
}

asio::awaitable<void> AuthSession::KeepFresh() {
    while (!stopped_ && !ended_) {
        if (std::chrono::steady_clock::now() < refresh_due_) {
            timer_.expires_at(refresh_due_);
            co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;  // woken by Adopt or Stop, or due: look again
        }
        AuthOutcome outcome = co_await Renew(access_);
        if (outcome.ok()) {
            retry_.Reset();
        } else if (outcome.status == AuthStatus::kUnavailable || !ended_) {
            refresh_due_ = std::chrono::steady_clock::now() + retry_.Next();
        }
    }
}

void AuthSession::Stop() {
    stopped_ = true;
    timer_.cancel();
}

asio::awaitable<void> AuthSession::WaitIdle(std::chrono::milliseconds max) {
    const auto deadline = std::chrono::steady_clock::now() + max;
    while (renewing_ && std::chrono::steady_clock::now() < deadline) {
        asio::steady_timer wait(executor_, kIdlePoll);
        co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

}  // namespace rooms::client

#include "client/backoff.h"

#include <algorithm>

namespace rooms::client {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, std::uint64_t seed)
    : initial_(initial), max_(max), step_(initial), random_(seed) {}

std::chrono::milliseconds Backoff::Next() {
    // splitmix64: well mixed even for neighbouring seeds.
    std::uint64_t z = (random_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    const auto half = std::max<std::int64_t>(step_.count() / 2, 0);
    const std::chrono::milliseconds delay(step_.count() - half +
                                          static_cast<std::int64_t>(z % static_cast<std::uint64_t>(half + 1)));
    step_ = std::min(step_ * 2, max_);
    ++attempts_;
    return delay;
}

void Backoff::Reset() {
    step_ = initial_;
    attempts_ = 0;
}

}  // namespace rooms::client

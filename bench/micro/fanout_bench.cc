// RoomHub fan-out: one accepted message serialized once and queued on every member's SendQueue, as the
// WebSocket sessions do. The queues are drained outside the timed region, as each writer would.

#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "http/json_codec.h"
#include "http/send_queue.h"
#include "services/room_hub.h"
#include "support/test_messages.h"

namespace rooms {
namespace {

/// A member like WebSocketSession: its Deliver pushes onto a real bounded SendQueue.
class QueueMember : public HubMember {
  public:
    explicit QueueMember(std::size_t capacity) : queue_(capacity) {}
    bool Deliver(const OutboundFrame& frame) override {
        const auto r = queue_.Push(frame);
        return r == SendQueue::PushResult::kQueued || r == SendQueue::PushResult::kWakeWriter;
    }
    void Discard(const std::unordered_set<MessageId>& ids) override { queue_.Discard(ids); }
    SendQueue& queue() { return queue_; }

  private:
    SendQueue queue_;
};

void BM_HubFanOut(benchmark::State& state) {
    const auto members = static_cast<std::size_t>(state.range(0));
    constexpr RoomId kRoom = 42;
    RoomHub hub(SerializeMessage);
    std::vector<std::shared_ptr<QueueMember>> queues;
    for (std::size_t i = 0; i < members; ++i) {
        queues.push_back(std::make_shared<QueueMember>(1024));
        hub.Join(kRoom, queues.back());
    }
    const Message m = test_support::MakeMessage(
        1'234'567'890'123, kRoom, "Hello everyone, the build is green again; shall we merge the branch before lunch?");
    for (auto _ : state) {
        hub.OnMessage(m);
        state.PauseTiming();
        for (auto& q : queues) {
            while (q->queue().Pop()) {
            }
        }
        state.ResumeTiming();
    }
    if (hub.delivered() != static_cast<std::uint64_t>(state.iterations()) * members)
        state.SkipWithError("a delivery failed");
    // Items are deliveries (message × member); "messages" counts fan-outs.
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(members));
    state.counters["messages"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_HubFanOut)->ArgName("members")->Arg(100);

}  // namespace
}  // namespace rooms

#include "adapters/kafka/kafka_fanout.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "adapters/kafka/impl/rdkafka_util.h"
#include "common/message_codec.h"
#include "common/throttled_log.h"

namespace rooms::kafka {

namespace {

constexpr int kPollMs = 100;
// One attempt to read the partitions and their end offsets takes at most this (and so may delay Stop).
constexpr auto kAssignTimeout = std::chrono::milliseconds(5000);
constexpr auto kFirstRetry = std::chrono::milliseconds(100);
constexpr auto kQuietFailures = std::chrono::seconds(5);

}  // namespace

struct KafkaFanout::Impl {
    Impl(KafkaFanoutOptions o, MessageSink& s) : options(std::move(o)), sink(s) {}

    // Served by rd_kafka_consumer_poll, on the consumer thread. librdkafka reconnects by itself: these are reports.
    static void OnError(rd_kafka_t*, int err, const char* reason, void* opaque) {
        auto* self = static_cast<Impl*>(opaque);
        if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && self->error_log.ShouldLog(reason)) {
            spdlog::warn("kafka fan-out: {}", reason);
        } else {
            spdlog::debug("kafka fan-out: {}", reason);
        }
    }

    // A topic just created (or a broker just started) is commonly not ready for a moment: only a problem that
    // lasts is worth a warning.
    void SetProblem(std::string problem) {
        auto now = std::chrono::steady_clock::now();
        if (!failing_since) failing_since = now;
        if (now - *failing_since < kQuietFailures) {
            spdlog::debug("kafka fan-out: not ready yet: {}", problem);
        } else if (error_log.ShouldLog(problem)) {
            spdlog::warn("kafka fan-out: not ready: {}", problem);
        }
        std::lock_guard lock(mu);
        this->problem = std::move(problem);
    }

    // Reads the partition count and each partition's end offset, then assigns them all at those offsets.
    // Absolute offsets (not RD_KAFKA_OFFSET_END, resolved later by the fetcher) make Ready() exact.
    bool TryAssign() {
        rd_kafka_t* rk = consumer.get();
        const auto deadline = std::chrono::steady_clock::now() + kAssignTimeout;
        auto remaining_ms = [&] {
            auto left = deadline - std::chrono::steady_clock::now();
            return static_cast<int>(
                std::max<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(left).count(), 1));
        };
        Result<int> count = impl::TopicPartitionCount(rk, options.kafka.topic, kAssignTimeout);
        if (!count) {
            SetProblem(count.error().message);
            return false;
        }
        impl::PartitionListPtr list(rd_kafka_topic_partition_list_new(*count));
        for (int p = 0; p < *count; ++p) {
            std::int64_t low = 0;
            std::int64_t high = 0;
            rd_kafka_resp_err_t err =
                rd_kafka_query_watermark_offsets(rk, options.kafka.topic.c_str(), p, &low, &high, remaining_ms());
            if (err) {
                SetProblem("cannot read the end offset of partition " + std::to_string(p) + ": " +
                           rd_kafka_err2str(err));
                return false;
            }
            rd_kafka_topic_partition_list_add(list.get(), options.kafka.topic.c_str(), p)->offset = high;
        }
        if (rd_kafka_resp_err_t err = rd_kafka_assign(rk, list.get())) {
            SetProblem(std::string("cannot assign the partitions: ") + rd_kafka_err2str(err));
            return false;
        }
        spdlog::info("kafka fan-out: reading {} partitions of topic \"{}\" from their end", *count,
                     options.kafka.topic);
        {
            std::lock_guard lock(mu);
            problem.reset();
            ready = true;
        }
        ready_cv.notify_all();
        return true;
    }

    void Deliver(const rd_kafka_message_t& m) {
        if (m.err) {
            if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
            std::string why = rd_kafka_message_errstr(&m);
            if (error_log.ShouldLog(why)) spdlog::warn("kafka fan-out: {}", why);
            return;
        }
        Result<Message> message = DecodeMessage({static_cast<const char*>(m.payload), m.len});
        if (message && message->content.size() > kMaxContentBytes) {
            message = InvalidArgument("content of " + std::to_string(message->content.size()) + " bytes, over the " +
                                      std::to_string(kMaxContentBytes) + " no gateway accepts");
        }
        if (!message) {
            invalid.fetch_add(1, std::memory_order_relaxed);
            spdlog::warn("kafka fan-out: skipping record {}[{}]@{}: {}", options.kafka.topic, m.partition, m.offset,
                         message.error().message);
            return;
        }
        delivered.fetch_add(1, std::memory_order_relaxed);
        message->trace = impl::TraceOf(m);
        try {
            sink.OnMessage(*message);
        } catch (const std::exception& e) {
            spdlog::error("kafka fan-out: the sink threw on message {}: {}", message->id, e.what());
        }
    }

    void Run() {
        rd_kafka_t* rk = consumer.get();
        // A topic created a moment ago may have no partition leader yet: retry soon, then less often.
        auto next_attempt = std::chrono::steady_clock::now();
        std::chrono::milliseconds retry = std::min(kFirstRetry, options.retry_interval);
        while (!stop.load()) {
            if (!ready.load() && std::chrono::steady_clock::now() >= next_attempt) {
                if (!TryAssign()) {
                    next_attempt = std::chrono::steady_clock::now() + retry;
                    retry = std::min(retry * 2, options.retry_interval);
                }
            }
            // Before assignment this only serves errors and logs (no partition, no message).
            impl::MessagePtr m(rd_kafka_consumer_poll(rk, kPollMs));
            if (m) Deliver(*m);
        }
    }

    const KafkaFanoutOptions options;
    MessageSink& sink;
    impl::HandlePtr consumer;
    std::thread thread;
    std::atomic<bool> started{false};
    std::atomic<bool> stop{false};

    mutable std::mutex mu;
    mutable std::condition_variable ready_cv;
    std::atomic<bool> ready{false};
    std::optional<std::string> problem;
    std::optional<std::chrono::steady_clock::time_point> failing_since;  // consumer thread only

    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> invalid{0};
    ThrottledLog error_log{std::chrono::seconds(10)};
};

KafkaFanout::KafkaFanout(KafkaFanoutOptions options, MessageSink& sink)
    : impl_(std::make_unique<Impl>(std::move(options), sink)) {}

KafkaFanout::~KafkaFanout() { Stop(); }

void KafkaFanout::Start() {
    Impl& s = *impl_;
    if (s.started.load()) throw std::logic_error("KafkaFanout::Start called twice");
    impl::ConfPtr conf = impl::MakeConf(
        {
            {"bootstrap.servers", s.options.kafka.brokers},
            {"client.id", s.options.client_id},
            // The consumer API wants a group id; with manual assignment the group is never joined, and nothing is
            // committed, so the broker never even records it.
            {"group.id", "rooms-fanout-" + impl::RandomHex(8)},
            {"enable.auto.commit", "false"},
            {"enable.auto.offset.store", "false"},
            {"auto.offset.reset", "latest"},
            {"socket.nagle.disable", "true"},
        },
        s.options.properties);
    rd_kafka_conf_set_opaque(conf.get(), &s);
    rd_kafka_conf_set_error_cb(conf.get(), &Impl::OnError);
    s.consumer = impl::MakeClient(RD_KAFKA_CONSUMER, std::move(conf));
    rd_kafka_poll_set_consumer(s.consumer.get());
    s.stop = false;
    s.failing_since.reset();
    s.started = true;
    s.thread = std::thread([&s] { s.Run(); });
}

void KafkaFanout::Stop() {
    Impl& s = *impl_;
    if (!s.thread.joinable()) return;
    s.stop = true;
    s.thread.join();
    rd_kafka_consumer_close(s.consumer.get());
    s.consumer.reset();
    s.ready = false;
    s.started = false;
}

bool KafkaFanout::Ready() const { return impl_->ready.load(); }

bool KafkaFanout::WaitReady(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mu);
    return impl_->ready_cv.wait_for(lock, timeout, [&] { return impl_->ready.load(); });
}

std::optional<std::string> KafkaFanout::Health() const {
    if (impl_->ready.load()) return std::nullopt;
    if (!impl_->started.load()) return "not started";
    std::lock_guard lock(impl_->mu);
    return impl_->problem ? impl_->problem : "partitions not assigned yet";
}

std::uint64_t KafkaFanout::Delivered() const { return impl_->delivered.load(); }
std::uint64_t KafkaFanout::InvalidRecords() const { return impl_->invalid.load(); }

}  // namespace rooms::kafka

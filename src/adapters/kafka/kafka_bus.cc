#include "adapters/kafka/kafka_bus.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "adapters/kafka/impl/rdkafka_util.h"
#include "common/message_codec.h"
#include "common/throttled_log.h"

namespace rooms::kafka {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(100);
// After Close purged what is left, the purge reports come promptly; this only bounds a broken librdkafka.
constexpr auto kPurgeWait = std::chrono::seconds(2);

Error NotDelivered(std::string_view why) { return Unavailable("message could not be delivered: " + std::string(why)); }

}  // namespace

KafkaBusMetrics KafkaBusMetrics::From(Metrics& metrics) {
    return KafkaBusMetrics{
        metrics.AddHistogram("rooms_kafka_produce_duration_seconds",
                             "Time from producing a chat message to the brokers' acknowledgement.", LatencyBuckets()),
        metrics.Counters("rooms_kafka_delivery_errors_total",
                         "Chat messages the producer could not deliver, by librdkafka error name."),
    };
}

struct KafkaBus::Impl {
    explicit Impl(KafkaBusOptions o) : options(std::move(o)) {}

    static void OnDeliveryReport(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
        auto* self = static_cast<Impl*>(opaque);
        auto* done = static_cast<DeliveryHandler*>(m->_private);
        if (m->err) {
            self->options.metrics.delivery_errors.With({{"error", rd_kafka_err2name(m->err)}}).Inc();
            self->Delivered(NotDelivered(rd_kafka_err2str(m->err)), done);
        } else {
            // Microseconds since rd_kafka_produce (-1 when unknown).
            if (const std::int64_t us = rd_kafka_message_latency(m); us >= 0)
                self->options.metrics.produce_seconds.Observe(static_cast<double>(us) / 1e6);
            self->Delivered(std::nullopt, done);
        }
    }

    // Served by rd_kafka_poll, on the delivery thread. Most errors are transient (librdkafka reconnects and
    // retries by itself); a fatal one (idempotence broken) makes the producer unusable.
    static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
        auto* self = static_cast<Impl*>(opaque);
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
            char why[512];
            rd_kafka_fatal_error(rk, why, sizeof why);
            spdlog::critical("kafka producer: fatal error, every later message will fail: {}", why);
            std::lock_guard lock(self->health_mu);
            self->fatal_error = std::string("fatal producer error: ") + why;
            return;
        }
        // librdkafka logs the details itself and recovers by itself; only "all brokers down" is worth a warning.
        if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && self->error_log.ShouldLog(reason)) {
            spdlog::warn("kafka producer: {}", reason);
        } else {
            spdlog::debug("kafka producer: {}", reason);
        }
    }

    void Delivered(std::optional<Error> error, DeliveryHandler* done) {
        if (error) {
            std::lock_guard lock(health_mu);
            last_failure = error->message;
            has_failure = true;
        } else if (has_failure.load(std::memory_order_relaxed)) {
            std::lock_guard lock(health_mu);
            last_failure.reset();
            has_failure = false;
        }
        std::unique_ptr<DeliveryHandler> owned(done);
        try {
            (*owned)(std::move(error));
        } catch (const std::exception& e) {
            spdlog::error("kafka producer: a delivery handler threw: {}", e.what());
        }
        if (in_flight.fetch_sub(1) == 1) {
            { std::lock_guard lock(flush_mu); }
            flushed.notify_all();
        }
    }

    bool WaitInFlight(std::chrono::milliseconds timeout) {
        std::unique_lock lock(flush_mu);
        return flushed.wait_for(lock, timeout, [&] { return in_flight.load() == 0; });
    }

    const KafkaBusOptions options;
    impl::HandlePtr producer;
    rd_kafka_topic_t* topic = nullptr;

    // Publish holds it shared around check-and-produce; Close takes it exclusively to set `closed`, so nothing
    // is produced after Close purged the queues.
    std::shared_mutex close_mu;
    bool closed = false;

    std::atomic<std::int64_t> in_flight{0};
    std::mutex flush_mu;
    std::condition_variable flushed;

    mutable std::mutex health_mu;
    std::optional<std::string> fatal_error;
    std::optional<std::string> last_failure;
    std::atomic<bool> has_failure{false};
    ThrottledLog error_log{std::chrono::seconds(10)};

    std::atomic<bool> stop_polling{false};
    std::thread poller;
};

KafkaBus::KafkaBus(KafkaBusOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    const KafkaBusOptions& o = impl_->options;
    impl::ConfPtr conf = impl::MakeConf(
        {
            {"bootstrap.servers", o.kafka.brokers},
            {"client.id", o.client_id},
            {"enable.idempotence", "true"},
            {"acks", "all"},
            {"linger.ms", std::to_string(o.kafka.linger_ms)},
            {"message.timeout.ms", std::to_string(o.kafka.message_timeout_ms)},
            {"queue.buffering.max.messages", std::to_string(o.kafka.queue_max_messages)},
            {"socket.nagle.disable", "true"},
            // The Java client's partitioner: other producers (tools, other languages) put a room where we do.
            {"partitioner", "murmur2_random"},
        },
        o.properties);
    rd_kafka_conf_set_opaque(conf.get(), impl_.get());
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &Impl::OnDeliveryReport);
    rd_kafka_conf_set_error_cb(conf.get(), &Impl::OnError);
    impl_->producer = impl::MakeClient(RD_KAFKA_PRODUCER, std::move(conf));
    impl_->topic = rd_kafka_topic_new(impl_->producer.get(), o.kafka.topic.c_str(), nullptr);
    if (!impl_->topic) {
        throw impl::KafkaSetupError("cannot create a handle for topic \"" + o.kafka.topic +
                                    "\": " + rd_kafka_err2str(rd_kafka_last_error()));
    }
    impl_->poller = std::thread([s = impl_.get()] {
        while (!s->stop_polling.load()) rd_kafka_poll(s->producer.get(), static_cast<int>(kPollInterval.count()));
    });
}

KafkaBus::~KafkaBus() { Close(std::chrono::seconds(5)); }

void KafkaBus::Publish(Message message, DeliveryHandler done) {
    Impl& s = *impl_;
    std::shared_lock lock(s.close_mu);
    if (s.closed) {
        lock.unlock();
        done(NotDelivered("the producer is shutting down"));
        return;
    }
    std::string key = MessageKey(message);
    std::string value = EncodeMessage(message);
    auto* handler = new DeliveryHandler(std::move(done));
    s.in_flight.fetch_add(1);
    // RD_KAFKA_MSG_F_COPY: librdkafka copies key and value, so they may die with this frame. Never blocks: a
    // full queue is an error, not a wait. The headers (the trace context, when there is one) become librdkafka's
    // once the call succeeds.
    rd_kafka_headers_t* headers = impl::TraceHeaders(message.trace);
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(s.producer.get(), RD_KAFKA_V_RKT(s.topic), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(value.data(), value.size()),
                          RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_HEADERS(headers),
                          RD_KAFKA_V_OPAQUE(handler), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (headers) rd_kafka_headers_destroy(headers);
        lock.unlock();
        s.options.metrics.delivery_errors.With({{"error", rd_kafka_err2name(err)}}).Inc();
        std::string why = err == RD_KAFKA_RESP_ERR__QUEUE_FULL
                              ? "the local producer queue is full (" +
                                    std::to_string(s.options.kafka.queue_max_messages) +
                                    " messages waiting for the brokers)"
                              : std::string(rd_kafka_err2str(err));
        s.Delivered(NotDelivered(why), handler);
    }
}

bool KafkaBus::Flush(std::chrono::milliseconds timeout) { return impl_->WaitInFlight(timeout); }

void KafkaBus::Close(std::chrono::milliseconds timeout) {
    Impl& s = *impl_;
    {
        std::unique_lock lock(s.close_mu);
        if (s.closed) return;
        s.closed = true;
    }
    if (!s.WaitInFlight(timeout)) {
        spdlog::warn("kafka producer: {} messages not acknowledged after {} ms; failing them", s.in_flight.load(),
                     timeout.count());
    }
    // Whatever the brokers did not acknowledge in time fails now, with a delivery report each: never silence.
    rd_kafka_purge(s.producer.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    s.WaitInFlight(kPurgeWait);
    s.stop_polling = true;
    s.poller.join();
    if (s.in_flight.load() != 0) spdlog::error("kafka producer: {} delivery reports lost at close", s.in_flight.load());
    rd_kafka_topic_destroy(s.topic);
    s.topic = nullptr;
    s.producer.reset();
}

std::optional<std::string> KafkaBus::Health() const {
    std::lock_guard lock(impl_->health_mu);
    if (impl_->fatal_error) return impl_->fatal_error;
    if (impl_->last_failure) return "last delivery failed: " + *impl_->last_failure;
    return std::nullopt;
}

std::int64_t KafkaBus::InFlight() const { return impl_->in_flight.load(); }

}  // namespace rooms::kafka

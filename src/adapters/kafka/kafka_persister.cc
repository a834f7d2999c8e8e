#include "adapters/kafka/kafka_persister.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "adapters/kafka/impl/rdkafka_util.h"
#include "adapters/kafka/kafka_statistics.h"
#include "common/message_codec.h"
#include "common/throttled_log.h"

namespace rooms::kafka {

namespace {

// Also the longest Stop waits for a poll to return.
constexpr int kPollMs = 100;
constexpr int kSeekTimeoutMs = 5000;

// librdkafka before 2.1.0 read rd_kafka_seek_partitions' timeout as microseconds (fixed by librdkafka PR #4230).
int SeekTimeoutArgument() { return rd_kafka_version() < 0x020100ff ? kSeekTimeoutMs * 1000 : kSeekTimeoutMs; }

// The delivery reports of the dead letters come within the producer's message timeout; this only bounds a
// broken librdkafka.
constexpr auto kDeadLetterFlushMargin = std::chrono::seconds(2);

struct Record {
    impl::MessagePtr raw;                        // as read: partition, offset, key and value (for a dead letter)
    std::variant<Message, std::string> content;  // the message, or why it can never be stored (a dead letter)
};

// Per partition of a batch: its first and last offsets.
std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> OffsetRanges(const std::vector<Record>& batch) {
    std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> ranges;
    for (const Record& r : batch) {
        auto [it, inserted] = ranges.try_emplace(r.raw->partition, r.raw->offset, r.raw->offset);
        if (!inserted) {
            it->second.first = std::min(it->second.first, r.raw->offset);
            it->second.second = std::max(it->second.second, r.raw->offset);
        }
    }
    return ranges;
}

// A dead letter's headers: why, and where it was read.
rd_kafka_headers_t* DeadLetterHeaders(const std::string& reason, const std::string& topic,
                                      const rd_kafka_message_t& raw) {
    rd_kafka_headers_t* headers = rd_kafka_headers_new(4);
    auto add = [headers](const char* name, const std::string& value) {
        rd_kafka_header_add(headers, name, -1, value.data(), static_cast<ssize_t>(value.size()));
    };
    add("reason", reason);
    add("source_topic", topic);
    add("source_partition", std::to_string(raw.partition));
    add("source_offset", std::to_string(raw.offset));
    return headers;
}

}  // namespace

KafkaPersisterMetrics KafkaPersisterMetrics::From(Metrics& metrics) {
    std::vector<double> records{1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
    return KafkaPersisterMetrics{
        metrics.AddHistogram("rooms_consumer_batch_records", "Records per batch the consumer wrote and committed.",
                             std::move(records)),
        metrics.AddHistogram("rooms_consumer_batch_duration_seconds",
                             "Time to write a batch to PostgreSQL and Redis, send its dead letters and commit it.",
                             LatencyBuckets()),
        metrics.Gauges("rooms_kafka_consumer_lag_messages",
                       "Records of a partition this consumer has not committed yet (librdkafka's consumer_lag)."),
    };
}

struct KafkaPersister::Impl {
    Impl(KafkaPersisterOptions o, MessagePersister& p) : options(std::move(o)), persister(p) {}

    // --- callbacks, served by rd_kafka_consumer_poll / rd_kafka_consumer_close on the calling thread ---

    static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
        auto* self = static_cast<Impl*>(opaque);
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
            char why[512];
            rd_kafka_fatal_error(rk, why, sizeof why);
            spdlog::critical("kafka persister: fatal consumer error: {}", why);
            self->SetProblem(kFatalError, std::string("fatal consumer error: ") + why);
            return;
        }
        // librdkafka logs the details itself and recovers by itself; only "all brokers down" is worth a warning.
        if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && self->error_log.ShouldLog(reason)) {
            spdlog::warn("kafka persister: {}", reason);
        } else {
            spdlog::debug("kafka persister: {}", reason);
        }
    }

    // librdkafka's statistics (every kafka.statistics_interval_ms), served by rd_kafka_consumer_poll. 0: we do not
    // keep the document.
    static int OnStatistics(rd_kafka_t*, char* json, std::size_t json_len, void* opaque) {
        RecordConsumerLags(static_cast<Impl*>(opaque)->options.metrics.lag, std::string_view(json, json_len));
        return 0;
    }

    // Served by rd_kafka_flush in SendDeadLetters, on the consumer thread. `_private` is the round that produced
    // the dead letter: a report of an abandoned round (one that timed out) does not count for the current one.
    static void OnDeadLetterDelivered(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
        auto* self = static_cast<Impl*>(opaque);
        if (reinterpret_cast<std::uintptr_t>(m->_private) != self->dlq_round) return;
        --self->dlq_pending;
        if (m->err && self->dlq_error.empty()) self->dlq_error = rd_kafka_err2str(m->err);
    }

    static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                            void* opaque) {
        auto* self = static_cast<Impl*>(opaque);
        const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
            if (cooperative) {
                impl::ErrorPtr error(rd_kafka_incremental_assign(rk, partitions));
                if (error) spdlog::error("kafka persister: assign failed: {}", rd_kafka_error_string(error.get()));
                self->assigned += partitions->cnt;
            } else {
                if (rd_kafka_resp_err_t e = rd_kafka_assign(rk, partitions)) {
                    spdlog::error("kafka persister: assign failed: {}", rd_kafka_err2str(e));
                }
                self->assigned = partitions->cnt;
            }
            self->joined = true;
            self->SetProblem(kConsumerError, std::nullopt);
            spdlog::info("kafka persister: group \"{}\" assigned {} partitions of \"{}\" to this member (now {})",
                         self->options.kafka.consumer_group, partitions->cnt, self->options.kafka.topic,
                         self->assigned.load());
            return;
        }
        // Revoked (or lost, or a rebalance error): the uncommitted records of those partitions belong to the
        // next owner now, which reads them again from the committed offsets.
        self->DropRecordsOf(partitions);
        if (cooperative) {
            impl::ErrorPtr error(rd_kafka_incremental_unassign(rk, partitions));
            if (error) spdlog::error("kafka persister: unassign failed: {}", rd_kafka_error_string(error.get()));
            self->assigned -= partitions->cnt;
        } else {
            rd_kafka_assign(rk, nullptr);
            self->assigned = 0;
        }
        if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
            spdlog::error("kafka persister: rebalance error: {}", rd_kafka_err2str(err));
        } else {
            spdlog::info("kafka persister: {} partitions revoked{}", partitions->cnt,
                         rd_kafka_assignment_lost(rk) ? " (lost)" : "");
        }
    }

    void DropRecordsOf(const rd_kafka_topic_partition_list_t* partitions) {
        std::erase_if(batch, [&](const Record& r) {
            for (int i = 0; i < partitions->cnt; ++i) {
                if (partitions->elems[i].partition == r.raw->partition) return true;
            }
            return false;
        });
    }

    // --- the consumer thread ---

    void Run() {
        std::chrono::milliseconds backoff = std::chrono::milliseconds(options.consumer.retry_backoff_min_ms);
        bool retry_in_memory = false;
        while (!stop.load()) {
            if (!retry_in_memory) Collect();
            if (batch.empty()) continue;
            if (WriteAndCommit()) {
                backoff = std::chrono::milliseconds(options.consumer.retry_backoff_min_ms);
                retry_in_memory = false;
                continue;
            }
            if (stop.load()) break;  // not committed: the group reads it again
            // Read the batch again from the broker (polling also serves rebalances during a long outage). If the
            // rewind failed, the position is past the batch: keep it and retry it as it is, or it would be lost.
            retry_in_memory = !SeekBack();
            if (!retry_in_memory) batch.clear();
            SleepUnlessStopped(backoff);
            backoff = std::min(backoff * 2, std::chrono::milliseconds(options.consumer.retry_backoff_max_ms));
        }
        batch.clear();
    }

    // Fills `batch` until it holds batch_size records, batch_wait has passed since its first record, or Stop.
    void Collect() {
        rd_kafka_t* rk = consumer.get();
        std::optional<std::chrono::steady_clock::time_point> deadline;
        while (!stop.load() && batch.size() < static_cast<std::size_t>(options.consumer.batch_size)) {
            int timeout_ms = kPollMs;
            if (deadline) {
                auto left =
                    std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
                if (left.count() <= 0) break;
                timeout_ms = static_cast<int>(std::min<std::int64_t>(left.count(), kPollMs));
            }
            impl::MessagePtr m(rd_kafka_consumer_poll(rk, timeout_ms));
            if (batch.empty()) deadline.reset();  // a revocation emptied it
            if (!m) continue;
            if (m->err) {
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
                std::string why = rd_kafka_message_errstr(m.get());
                if (error_log.ShouldLog(why)) spdlog::warn("kafka persister: {}", why);
                SetProblem(kConsumerError, why);
                continue;
            }
            if (has_problem[kConsumerError].load(std::memory_order_relaxed)) SetProblem(kConsumerError, std::nullopt);
            if (batch.empty())
                deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.consumer.batch_wait_ms);
            Result<Message> decoded = DecodeMessage({static_cast<const char*>(m->payload), m->len});
            Record& r = batch.emplace_back();
            r.raw = std::move(m);
            if (decoded) {
                decoded->trace = impl::TraceOf(*r.raw);
                r.content = std::move(*decoded);
            } else {
                r.content = decoded.error().message;
            }
        }
    }

    // Persists the batch's messages, then sends its dead letters, and only then commits. False when either
    // failed: nothing is committed and the batch is tried again.
    bool WriteAndCommit() {
        const auto started = std::chrono::steady_clock::now();
        std::size_t written = 0;
        try {
            written = Persist();
            SendDeadLetters();
        } catch (const std::exception& e) {
            write_failures.fetch_add(1);
            std::string why =
                std::string("writing a batch of ") + std::to_string(batch.size()) + " records failed: " + e.what();
            spdlog::error("kafka persister: {}; it will be read again and retried", why);
            SetProblem(kWriteError, why);
            return false;
        }
        if (has_problem[kWriteError].load()) SetProblem(kWriteError, std::nullopt);

        std::uint64_t dead = 0;
        for (const Record& r : batch) {
            if (const auto* why = std::get_if<std::string>(&r.content)) {
                ++dead;
                spdlog::warn("kafka persister: record {}[{}]@{} moved to dead-letter topic {}: {}", options.kafka.topic,
                             r.raw->partition, r.raw->offset, options.kafka.dlq_topic, *why);
            }
        }
        Commit();
        options.metrics.batch_records.Observe(static_cast<double>(batch.size()));
        options.metrics.batch_seconds.Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        batches.fetch_add(1);
        messages_written.fetch_add(written);
        dead_letters.fetch_add(dead);
        batch.clear();
        return true;
    }

    // Hands the batch's messages to the persister; a message it refused becomes a dead letter (its record's content
    // the reason). Returns how many were stored. A failure throws (the batch is retried); the records turned into
    // dead letters stay so.
    std::size_t Persist() {
        // A copy: the batch must survive a failed write when it is retried from memory.
        std::vector<Message> messages;
        std::vector<std::size_t> record_of;  // the batch index of each message
        messages.reserve(batch.size());
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (const auto* m = std::get_if<Message>(&batch[i].content)) {
                messages.push_back(*m);
                record_of.push_back(i);
            }
        }
        if (messages.empty()) return 0;
        const PersistedBatch persisted = persister.Persist(messages);
        for (const auto& [index, why] : persisted.refused) batch[record_of[index]].content = why;
        return messages.size() - persisted.refused.size();
    }

    // Produces the batch's dead letters to the dead-letter topic and waits until the brokers acknowledged each.
    // Throws when one was not (the batch must not be committed then).
    void SendDeadLetters() {
        const std::uintptr_t round = ++dlq_round;
        dlq_pending = 0;
        dlq_error.clear();
        for (const Record& r : batch) {
            const auto* why = std::get_if<std::string>(&r.content);
            if (!why) continue;
            rd_kafka_headers_t* headers = DeadLetterHeaders(*why, options.kafka.topic, *r.raw);
            // RD_KAFKA_MSG_F_COPY: the record may be dropped (a rebalance) while the dead letter is in flight.
            rd_kafka_resp_err_t err = rd_kafka_producev(
                dlq_producer.get(), RD_KAFKA_V_TOPIC(options.kafka.dlq_topic.c_str()),
                RD_KAFKA_V_KEY(r.raw->key, r.raw->key_len), RD_KAFKA_V_VALUE(r.raw->payload, r.raw->len),
                RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                // The round travels as the record's opaque tag, never dereferenced.
                RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(round)),  // NOLINT(performance-no-int-to-ptr)
                RD_KAFKA_V_END);
            if (err) {
                rd_kafka_headers_destroy(headers);  // still ours when producev fails
                throw std::runtime_error("dead-letter topic " + options.kafka.dlq_topic + ": " + rd_kafka_err2str(err));
            }
            ++dlq_pending;
        }
        if (dlq_pending == 0) return;
        rd_kafka_flush(
            dlq_producer.get(),
            static_cast<int>(
                (std::chrono::milliseconds(options.consumer.dlq_timeout_ms) + kDeadLetterFlushMargin).count()));
        if (dlq_pending > 0) {
            throw std::runtime_error("dead-letter topic " + options.kafka.dlq_topic + ": " +
                                     std::to_string(dlq_pending) + " dead letters not acknowledged in time");
        }
        if (!dlq_error.empty()) {
            throw std::runtime_error("dead-letter topic " + options.kafka.dlq_topic + ": " + dlq_error);
        }
    }

    // Commits each partition of the batch at its last offset + 1 (the next record to read). Synchronous.
    void Commit() {
        auto ranges = OffsetRanges(batch);
        impl::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(ranges.size())));
        for (const auto& [partition, range] : ranges) {
            rd_kafka_topic_partition_list_add(list.get(), options.kafka.topic.c_str(), partition)->offset =
                range.second + 1;
        }
        rd_kafka_resp_err_t err = rd_kafka_commit(consumer.get(), list.get(), 0);
        for (int i = 0; !err && i < list->cnt; ++i) err = list->elems[i].err;
        if (err) {
            commit_failures.fetch_add(1);
            std::string why = std::string("committing offsets failed: ") + rd_kafka_err2str(err) +
                              " (the batch is written; its records may be written again after a rebalance)";
            spdlog::warn("kafka persister: {}", why);
            SetProblem(kCommitError, why);
        } else if (has_problem[kCommitError].load()) {
            SetProblem(kCommitError, std::nullopt);
        }
    }

    // Rewinds each partition of the failed batch to its first record, dropping what was fetched after it.
    // False when a partition could not be rewound.
    bool SeekBack() {
        auto ranges = OffsetRanges(batch);
        impl::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(ranges.size())));
        for (const auto& [partition, range] : ranges) {
            rd_kafka_topic_partition_list_add(list.get(), options.kafka.topic.c_str(), partition)->offset = range.first;
        }
        impl::ErrorPtr error(rd_kafka_seek_partitions(consumer.get(), list.get(), SeekTimeoutArgument()));
        if (error) {
            spdlog::error("kafka persister: seeking back failed: {}; retrying the batch from memory",
                          rd_kafka_error_string(error.get()));
            return false;
        }
        bool ok = true;
        for (int i = 0; i < list->cnt; ++i) {
            if (list->elems[i].err) {
                spdlog::error(
                    "kafka persister: seeking partition {} back to {} failed: {}; retrying the batch from "
                    "memory",
                    list->elems[i].partition, list->elems[i].offset, rd_kafka_err2str(list->elems[i].err));
                ok = false;
            }
        }
        return ok;
    }

    void SleepUnlessStopped(std::chrono::milliseconds duration) {
        std::unique_lock lock(wake_mu);
        wake.wait_for(lock, duration, [&] { return stop.load(); });
    }

    // --- health ---

    // What Health reports, most serious first. A fatal error stays; the others clear when things work again.
    enum Problem { kFatalError, kConsumerError, kWriteError, kCommitError, kProblemCount };

    void SetProblem(Problem slot, std::optional<std::string> problem) {
        std::lock_guard lock(health_mu);
        has_problem[slot] = problem.has_value();
        problems[slot] = std::move(problem);
    }

    const KafkaPersisterOptions options;
    MessagePersister& persister;
    impl::HandlePtr consumer;
    impl::HandlePtr dlq_producer;
    std::thread thread;
    std::atomic<bool> started{false};
    std::atomic<bool> stop{false};
    std::mutex wake_mu;
    std::condition_variable wake;

    std::vector<Record> batch;  // consumer thread only (the rebalance callback runs on it too)
    // The dead letters being sent: consumer thread only (their delivery reports are served on it too).
    std::uintptr_t dlq_round = 0;
    int dlq_pending = 0;
    std::string dlq_error;  // the first failed delivery of the round

    std::atomic<bool> joined{false};
    std::atomic<int> assigned{0};
    mutable std::mutex health_mu;
    std::array<std::optional<std::string>, kProblemCount> problems;
    std::array<std::atomic<bool>, kProblemCount> has_problem{};  // lock-free check before clearing
    ThrottledLog error_log{std::chrono::seconds(10)};

    std::atomic<std::uint64_t> batches{0};
    std::atomic<std::uint64_t> messages_written{0};
    std::atomic<std::uint64_t> dead_letters{0};
    std::atomic<std::uint64_t> write_failures{0};
    std::atomic<std::uint64_t> commit_failures{0};
};

KafkaPersister::KafkaPersister(KafkaPersisterOptions options, MessagePersister& persister)
    : impl_(std::make_unique<Impl>(std::move(options), persister)) {
    const KafkaPersisterOptions& o = impl_->options;
    if (o.consumer.batch_size <= 0) throw std::invalid_argument("KafkaPersister: batch_size must be positive");
    if (o.consumer.dlq_timeout_ms <= 0) throw std::invalid_argument("KafkaPersister: dlq_timeout must be positive");
    // Dead letters written to the topic they came from would be refused again and again, forever.
    if (o.kafka.dlq_topic.empty() || o.kafka.dlq_topic == o.kafka.topic) {
        throw std::invalid_argument("KafkaPersister: dlq_topic must be set and differ from topic");
    }
}

KafkaPersister::~KafkaPersister() { Stop(); }

void KafkaPersister::Start() {
    Impl& s = *impl_;
    if (s.started.load()) throw std::logic_error("KafkaPersister::Start called twice");
    impl::ConfPtr conf = impl::MakeConf(
        {
            {"bootstrap.servers", s.options.kafka.brokers},
            {"client.id", s.options.client_id},
            {"group.id", s.options.kafka.consumer_group},
            {"enable.auto.commit", "false"},
            {"enable.auto.offset.store", "false"},
            {"auto.offset.reset", "earliest"},
            {"socket.nagle.disable", "true"},
            // A consumer killed with -9 holds its partitions until its session expires: librdkafka's 45 s
            // default left a killed consumer's rooms unpersisted for 43 s in the kill -9 test. 10 s is the
            // shortest that stays well above the heartbeat (3 s) and the broker's 6 s minimum.
            {"session.timeout.ms", "10000"},
            {"heartbeat.interval.ms", "3000"},
            {"statistics.interval.ms", std::to_string(s.options.kafka.statistics_interval_ms)},
        },
        s.options.properties);
    rd_kafka_conf_set_opaque(conf.get(), &s);
    rd_kafka_conf_set_error_cb(conf.get(), &Impl::OnError);
    rd_kafka_conf_set_stats_cb(conf.get(), &Impl::OnStatistics);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &Impl::OnRebalance);
    s.consumer = impl::MakeClient(RD_KAFKA_CONSUMER, std::move(conf));
    rd_kafka_poll_set_consumer(s.consumer.get());

    impl::ConfPtr dlq_conf = impl::MakeConf(
        {
            {"bootstrap.servers", s.options.kafka.brokers},
            {"client.id", s.options.client_id + "-dlq"},
            {"enable.idempotence", "true"},
            {"acks", "all"},
            {"linger.ms", "0"},
            {"message.timeout.ms", std::to_string(s.options.consumer.dlq_timeout_ms)},
            {"socket.nagle.disable", "true"},
        },
        s.options.properties);
    rd_kafka_conf_set_opaque(dlq_conf.get(), &s);
    rd_kafka_conf_set_dr_msg_cb(dlq_conf.get(), &Impl::OnDeadLetterDelivered);
    s.dlq_producer = impl::MakeClient(RD_KAFKA_PRODUCER, std::move(dlq_conf));

    impl::PartitionListPtr topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), s.options.kafka.topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (rd_kafka_resp_err_t err = rd_kafka_subscribe(s.consumer.get(), topics.get())) {
        s.consumer.reset();
        s.dlq_producer.reset();
        throw std::runtime_error("kafka persister: cannot subscribe to topic \"" + s.options.kafka.topic +
                                 "\": " + rd_kafka_err2str(err));
    }
    s.stop = false;
    s.joined = false;
    s.started = true;
    s.thread = std::thread([&s] { s.Run(); });
}

void KafkaPersister::Stop() {
    Impl& s = *impl_;
    if (!s.thread.joinable()) return;
    {
        std::lock_guard lock(s.wake_mu);
        s.stop = true;
    }
    s.wake.notify_all();
    s.thread.join();
    // Leaves the group (the revocation is served here, on this thread, now that the consumer thread ended).
    if (rd_kafka_resp_err_t err = rd_kafka_consumer_close(s.consumer.get())) {
        spdlog::warn("kafka persister: closing the consumer: {}", rd_kafka_err2str(err));
    }
    s.consumer.reset();
    // Nothing is in flight unless the last batch gave up waiting for its dead letters; it was not committed then.
    s.dlq_producer.reset();
    s.started = false;
    s.joined = false;
    s.assigned = 0;
}

std::optional<std::string> KafkaPersister::Health() const {
    const Impl& s = *impl_;
    if (!s.started.load()) return "not started";
    std::lock_guard lock(s.health_mu);
    for (const auto& problem : s.problems) {
        if (problem) return problem;
    }
    if (!s.joined.load())
        return "not assigned partitions yet (joining consumer group \"" + s.options.kafka.consumer_group + "\")";
    return std::nullopt;
}

PersisterStats KafkaPersister::Stats() const {
    const Impl& s = *impl_;
    return {s.batches.load(), s.messages_written.load(), s.dead_letters.load(), s.write_failures.load(),
            s.commit_failures.load()};
}

int KafkaPersister::AssignedPartitions() const { return impl_->assigned.load(); }

}  // namespace rooms::kafka

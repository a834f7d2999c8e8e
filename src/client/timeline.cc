#include "client/timeline.h"

#include <algorithm>

namespace rooms::client {

std::string MessageKey(const ChatMessage& m) {
    if (m.IsLocal()) return {};
    if (!m.id.empty()) return "#" + m.id;
    return "~" + m.nickname + '\x1f' + m.time_created + '\x1f' + m.content;
}

RoomTimeline::RoomTimeline(std::size_t max_entries) : max_entries_(std::max<std::size_t>(max_entries, 1)) {}

bool RoomTimeline::Resume::NeedsOlder() const {
    return !timeline_->keys_.empty() && !overlaps_ && !reached_start_ && gave_up_.empty() && !collected_.empty();
}

std::string RoomTimeline::Resume::OlderThan() const {
    return collected_.empty() ? std::string() : collected_.back().id;
}

void RoomTimeline::Resume::Collect(const std::vector<ChatMessage>& newest_first) {
    for (const auto& m : newest_first) {
        if (timeline_->Contains(m)) overlaps_ = true;
        collected_.push_back(m);
    }
}

void RoomTimeline::Resume::AddOlder(const std::vector<ChatMessage>& page_newest_first, std::size_t page_limit) {
    if (page_newest_first.size() < page_limit) reached_start_ = true;
    Collect(page_newest_first);
}

void RoomTimeline::Resume::GiveUp(std::string why) { gave_up_ = why.empty() ? "unknown reason" : std::move(why); }

RoomTimeline::Resume RoomTimeline::BeginResume(const std::vector<ChatMessage>& history_newest_first) const {
    Resume resume(*this);
    resume.Collect(history_newest_first);
    return resume;
}

std::size_t RoomTimeline::IndexOf(const std::string& key, std::size_t hint) const {
    for (std::size_t i = std::min(hint, entries_.size()); i < entries_.size(); ++i)
        if (MessageKey(entries_[i]) == key) return i;
    for (std::size_t i = std::min(hint, entries_.size()); i-- > 0;)
        if (MessageKey(entries_[i]) == key) return i;
    return entries_.size();
}

std::vector<ChatMessage> RoomTimeline::Commit(Resume resume) {
    std::vector<ChatMessage> oldest_first(resume.collected_.rbegin(), resume.collected_.rend());
    std::vector<ChatMessage> fresh;
    const bool gap = !keys_.empty() && !resume.overlaps_ && !resume.reached_start_ && !oldest_first.empty();
    if (gap) {
        ChatMessage line;
        line.type = "gap";
        line.content = "messages may be missing here: " +
                       (resume.gave_up_.empty() ? std::string("the history did not reach back") : resume.gave_up_);
        line.time_created = oldest_first.front().time_created;
        entries_.push_back(line);
        fresh.push_back(std::move(line));
    }
    // New messages go after the known one that precedes them in the server's order; those older than every known
    // one go before the first known. Usually that is all of them after the last message the client saw.
    std::size_t insert_at = entries_.size();
    for (const auto& m : oldest_first) {
        if (Contains(m)) {
            insert_at = IndexOf(MessageKey(m), 0);
            break;
        }
    }
    for (const auto& m : oldest_first) {
        const std::string key = MessageKey(m);
        if (keys_.count(key)) {
            const std::size_t at = IndexOf(key, insert_at);
            if (at < entries_.size()) insert_at = at + 1;
            continue;
        }
        entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(insert_at), m);
        keys_.insert(key);
        ++insert_at;
        fresh.push_back(m);
    }
    Trim();
    return fresh;
}

bool RoomTimeline::AppendLive(const ChatMessage& message) {
    const std::string key = MessageKey(message);
    if (key.empty() || !keys_.insert(key).second) return false;
    entries_.push_back(message);
    Trim();
    return true;
}

std::vector<ChatMessage> RoomTimeline::PrependOlder(const std::vector<ChatMessage>& page_newest_first,
                                                    std::size_t page_limit) {
    if (page_newest_first.size() < page_limit) reached_start_ = true;
    std::vector<ChatMessage> fresh;
    std::size_t at = 0;
    for (auto it = page_newest_first.rbegin(); it != page_newest_first.rend(); ++it) {
        const std::string key = MessageKey(*it);
        if (key.empty() || !keys_.insert(key).second) continue;
        entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(at++), *it);
        fresh.push_back(*it);
    }
    // Scroll-back never drops what it just loaded: trimming would take the oldest, i.e. these.
    return fresh;
}

void RoomTimeline::AddNotice(std::string text, std::string time_created) {
    ChatMessage line;
    line.type = "notice";
    line.content = std::move(text);
    line.time_created = std::move(time_created);
    entries_.push_back(std::move(line));
    Trim();
}

bool RoomTimeline::Contains(const ChatMessage& message) const {
    const std::string key = MessageKey(message);
    return !key.empty() && keys_.count(key) != 0;
}

std::string RoomTimeline::OldestId() const {
    for (const auto& m : entries_)
        if (!m.IsLocal() && !m.id.empty()) return m.id;
    return {};
}

void RoomTimeline::Trim() {
    while (entries_.size() > max_entries_) {
        keys_.erase(MessageKey(entries_.front()));
        entries_.pop_front();
    }
}

}  // namespace rooms::client

#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <unordered_set>
#include <vector>

#include "client/wire.h"

namespace rooms::client {

/// What makes two messages the same for deduplication: the id; without one (the seed's server sends none), the
/// nickname, time and content together. Local lines (notices) have no key.
std::string MessageKey(const ChatMessage& message);

/// The messages one room shows, in the order the server gave them, each once — the one place that merges what
/// arrives: live frames, the history frame of every (re)join, and scroll-back pages.
///
/// On every join the server sends its newest messages first (newest first). Merging it (BeginResume, then
/// Commit) adds what the timeline lacks, in the server's order, after the messages both know. When none of the
/// frame is known yet the client missed more than one frame holds: the caller pages back (GET .../messages?
/// before=OlderThan()) until a page overlaps, the room's start is reached, or it gives up — then a "gap" line
/// marks where messages may be missing. Gap-free resume by the server (issue 16) can later replace the paging
/// without changing the callers. Pure logic: no I/O, not thread-safe.
class RoomTimeline {
  public:
    /// The oldest entries are dropped beyond `max_entries`.
    explicit RoomTimeline(std::size_t max_entries = 10000);

    /// One join's merge in progress; holds a pointer to the timeline, which must outlive it.
    class Resume {
      public:
        /// True while nothing collected overlaps a timeline that is not empty, the room's first message was not
        /// reached and the caller did not give up: an older page is needed to close the gap.
        bool NeedsOlder() const;
        /// The id to page back from: the oldest message collected; empty when it has no id (the seed's server).
        std::string OlderThan() const;
        /// Adds an older page (newest first) of at most `page_limit` messages; a shorter page is the room's
        /// start.
        void AddOlder(const std::vector<ChatMessage>& page_newest_first, std::size_t page_limit);
        /// Ends the paging: Commit marks the gap with `why`.
        void GiveUp(std::string why);

      private:
        friend class RoomTimeline;
        explicit Resume(const RoomTimeline& timeline) : timeline_(&timeline) {}
        void Collect(const std::vector<ChatMessage>& newest_first);

        const RoomTimeline* timeline_;
        std::vector<ChatMessage> collected_;  // newest first
        bool overlaps_ = false;
        bool reached_start_ = false;
        std::string gave_up_;
    };

    /// Starts merging a history frame (newest first).
    Resume BeginResume(const std::vector<ChatMessage>& history_newest_first) const;
    /// Merges; returns the entries it added, oldest first: the messages new to the timeline, after the gap line
    /// when there is one.
    std::vector<ChatMessage> Commit(Resume resume);

    /// A live message; false (and nothing changes) when the timeline has it already.
    bool AppendLive(const ChatMessage& message);
    /// Scroll-back: an older page (newest first) goes in front; returns what was new, oldest first. A page
    /// shorter than `page_limit` means the room's first message is shown.
    std::vector<ChatMessage> PrependOlder(const std::vector<ChatMessage>& page_newest_first, std::size_t page_limit);
    /// A line of the client's own (type "notice"), at the end.
    void AddNotice(std::string text, std::string time_created);

    bool Contains(const ChatMessage& message) const;
    /// The id of the oldest server message shown; empty when none has one.
    std::string OldestId() const;
    bool reached_start() const { return reached_start_; }
    const std::deque<ChatMessage>& entries() const { return entries_; }

  private:
    /// The index of the entry with `key`, looked for from `hint` on, then before it; entries_.size() if none.
    std::size_t IndexOf(const std::string& key, std::size_t hint) const;
    void Trim();

    std::size_t max_entries_;
    std::deque<ChatMessage> entries_;
    std::unordered_set<std::string> keys_;
    bool reached_start_ = false;
};

}  // namespace rooms::client

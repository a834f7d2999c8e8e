#pragma once

#include "domain/ports.h"

namespace rooms {

/// The `all` role's persistence: every accepted message goes to the history cache and to the message
/// store (a write-behind store there, so OnMessage does not block).
class PersistSink : public MessageSink {
  public:
    PersistSink(HistoryCache& cache, MessageStore& store) : cache_(cache), store_(store) {}
    void OnMessage(const Message& message) override {
        cache_.Append(message);
        store_.InsertBatch({&message, 1});
    }

  private:
    HistoryCache& cache_;
    MessageStore& store_;
};

}  // namespace rooms

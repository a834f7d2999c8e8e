#pragma once

#include "domain/ports.h"

namespace rooms {

/// Persists each message a bus hands it, one at a time, with a MessagePersister (role all: the write-behind
/// store and the memory history cache, neither of which refuses a message nor blocks).
class PersistSink : public MessageSink {
  public:
    explicit PersistSink(MessagePersister& persister) : persister_(persister) {}
    void OnMessage(const Message& message) override { persister_.Persist({&message, 1}); }

  private:
    MessagePersister& persister_;
};

}  // namespace rooms

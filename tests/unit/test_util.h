#pragma once

// Small helpers shared by the unit tests.

#include "support/test_messages.h"

namespace rooms::unit {

using test_support::FixedTime;
using test_support::Ids;
using test_support::MakeMessage;

}  // namespace rooms::unit

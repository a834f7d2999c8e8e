// Display widths come from wcwidth(3), which needs a UTF-8 LC_CTYPE, as `rooms chat` sets one at start.

#include <gtest/gtest.h>

#include "tui/display_width.h"

namespace {

class Utf8LocaleEnvironment : public ::testing::Environment {
  public:
    void SetUp() override { ASSERT_TRUE(rooms::tui::EnsureUtf8Locale()) << "no UTF-8 locale (C.UTF-8) here"; }
};

[[maybe_unused]] ::testing::Environment* const kUtf8Locale =
    ::testing::AddGlobalTestEnvironment(new Utf8LocaleEnvironment);

}  // namespace

#include "tui/layout.h"

#include <gtest/gtest.h>

namespace rooms::tui {
namespace {

TEST(LayoutTest, WideScreenShowsEveryPane) {
    auto l = ComputeLayout(40, 120, 1);
    ASSERT_FALSE(l.too_small);
    EXPECT_EQ(l.composer.top, 39);
    EXPECT_EQ(l.composer.height, 1);
    EXPECT_EQ(l.status.top, 38);
    EXPECT_EQ(l.rooms.width, kRoomsWidth);
    EXPECT_EQ(l.rooms.height, 38);
    EXPECT_EQ(l.messages.left, kRoomsWidth + 1);
    EXPECT_EQ(l.online.left, 120 - kOnlineWidth);
    EXPECT_EQ(l.messages.left + l.messages.width + 1, l.online.left);  // one separator column each side
    EXPECT_EQ(l.messages.height, 38);
}

TEST(LayoutTest, NarrowScreensDropTheSidePanes) {
    auto medium = ComputeLayout(24, 80, 1);
    EXPECT_FALSE(medium.rooms.empty());
    EXPECT_TRUE(medium.online.empty());
    EXPECT_EQ(medium.messages.left + medium.messages.width, 80);
    auto narrow = ComputeLayout(24, 50, 1);
    EXPECT_TRUE(narrow.rooms.empty());
    EXPECT_EQ(narrow.messages.left, 0);
    EXPECT_EQ(narrow.messages.width, 50);
    EXPECT_TRUE(ComputeLayout(4, 80, 1).too_small);
    EXPECT_TRUE(ComputeLayout(24, 10, 1).too_small);
}

TEST(LayoutTest, TheComposerGrowsWithItsTextUpToAThird) {
    EXPECT_EQ(ComputeLayout(30, 100, 3).composer.height, 3);
    EXPECT_EQ(ComputeLayout(30, 100, 3).messages.height, 26);
    EXPECT_EQ(ComputeLayout(30, 100, 50).composer.height, 10);
    EXPECT_EQ(ComputeLayout(30, 100, 0).composer.height, 1);
}

}  // namespace
}  // namespace rooms::tui

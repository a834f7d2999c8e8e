#include "tui/layout.h"

#include <algorithm>

namespace rooms::tui {

ScreenLayout ComputeLayout(int rows, int cols, int composer_rows) {
    ScreenLayout l;
    if (rows < kMinRows || cols < kMinCols) {
        l.too_small = true;
        return l;
    }
    const int composer = std::clamp(composer_rows, 1, std::max(1, rows / 3));
    const int body = rows - 1 - composer;
    l.composer = {rows - composer, 0, composer, cols};
    l.status = {body, 0, 1, cols};
    int left = 0;
    int right = cols;
    if (cols >= 60) {
        l.rooms = {0, 0, body, kRoomsWidth};
        left = kRoomsWidth + 1;  // and a separator column
    }
    if (cols >= 90) {
        l.online = {0, cols - kOnlineWidth, body, kOnlineWidth};
        right = cols - kOnlineWidth - 1;
    }
    l.messages = {0, left, body, right - left};
    return l;
}

}  // namespace rooms::tui

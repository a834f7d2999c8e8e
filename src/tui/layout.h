#pragma once

namespace rooms::tui {

struct Rect {
    int top = 0;
    int left = 0;
    int height = 0;
    int width = 0;
    bool empty() const { return height <= 0 || width <= 0; }
};

/// Where each part of the screen goes:
///
///     rooms │ messages                          │ online
///     ...   │ ...                               │ ...
///     status line (the whole width)
///     composer (1..max rows, the whole width)
///
/// The online list goes below 90 columns, the room list below 60; under kMinRows x kMinCols only `too_small`.
struct ScreenLayout {
    Rect rooms;  // empty when hidden
    Rect messages;
    Rect online;  // empty when hidden
    Rect status;
    Rect composer;
    bool too_small = false;
};

inline constexpr int kMinRows = 6;
inline constexpr int kMinCols = 24;
inline constexpr int kRoomsWidth = 20;
inline constexpr int kOnlineWidth = 18;

/// `composer_rows`: how many rows the composer's text needs; it gets at most a third of the screen.
ScreenLayout ComputeLayout(int rows, int cols, int composer_rows);

}  // namespace rooms::tui

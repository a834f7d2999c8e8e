#include "driver.h"

#include <stdexcept>

namespace rooms_bench {

std::unique_ptr<Driver> MakeDriver(const CommonOptions& common) {
    if (common.server == "rooms") return MakeRoomsDriver(common);
    if (common.server == "centrifugo") return MakeCentrifugoDriver(common);
    throw std::runtime_error("--server '" + common.server + "': expected rooms or centrifugo");
}

}  // namespace rooms_bench

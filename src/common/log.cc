#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace rooms {

void InitLogging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("rooms");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

}  // namespace rooms

#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/settings.h"

namespace rooms {

/// One setting as it can be written in YAML (dotted path), in the environment and in docs.
struct SettingInfo {
    std::string key;            // e.g. "chat.history_size"
    std::string env;            // e.g. "ROOMS_CHAT_HISTORY_SIZE"
    std::string section;        // e.g. "chat"; "" at the top level
    std::string default_value;  // as it would be written in YAML; "" when empty
    std::string allowed;        // what the check accepts, e.g. "0..10000", "one of: all websocket"; "" for any
    std::string help;
    bool secret = false;
};

/// Loads the configuration. `yaml_path` may be empty; `env` is the process environment; `overrides` are
/// command-line values by dotted key. Throws ConfigError listing every problem found (unknown keys, bad
/// values), one per line.
Config LoadConfig(const std::string& yaml_path, const std::map<std::string, std::string>& env,
                  const std::map<std::string, std::string>& overrides);

/// The environment as a map.
std::map<std::string, std::string> ProcessEnvironment();

/// Every setting, in declaration order (common/settings.h).
std::vector<SettingInfo> AllSettings();

/// The settings tables of docs/CONFIGURATION.md (`rooms settings --markdown`): one table per section.
std::string SettingsMarkdown();

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace rooms

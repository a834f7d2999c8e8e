// Configuration: LoadConfig on arbitrary YAML text plus ROOMS_* environment values. It must return a config
// that satisfies its cross-checks or throw ConfigError listing the problems; any other exception or a crash
// is a bug (a bad file must stop the process with a message, never bring it down).
//
// Input: the YAML text, optionally followed by a line "%%ENV%%" and then KEY=VALUE lines for the environment.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

#include "common/config.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view detail) {
    std::fprintf(stderr, "fuzz_config: %s: [%.*s]\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

/// LoadConfig reads a file; one per fuzzing process, rewritten for every input, removed at exit.
class YamlFile {
  public:
    YamlFile()
        : path_((std::filesystem::temp_directory_path() / ("rooms_fuzz_config_" + std::to_string(::getpid()) + ".yaml"))
                    .string()) {}
    ~YamlFile() {
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }
    const std::string& Write(std::string_view text) {
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        return path_;
    }

  private:
    std::string path_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static YamlFile file;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    constexpr std::string_view kEnvMarker = "\n%%ENV%%\n";
    const auto marker = input.find(kEnvMarker);
    const std::string_view yaml = input.substr(0, marker);
    std::map<std::string, std::string> env;
    if (marker != std::string_view::npos) {
        std::string_view rest = input.substr(marker + kEnvMarker.size());
        while (!rest.empty()) {
            const auto nl = rest.find('\n');
            const std::string_view line = rest.substr(0, nl);
            rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
            const auto eq = line.find('=');
            if (eq != std::string_view::npos) env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
        }
    }

    try {
        const rooms::Config config = rooms::LoadConfig(file.Write(yaml), env, {});
        if (config.chat.max_message_bytes > config.chat.max_frame_bytes) Fail("a message larger than a frame", input);
        if (config.rate_limit.burst < 1) Fail("a burst below 1 accepted", input);
        if (config.node_id < 0 || config.node_id > 1023) Fail("node_id out of range accepted", input);
    } catch (const rooms::ConfigError& e) {
        const std::string_view what = e.what();
        if (!what.starts_with("invalid configuration:") || what.size() <= 23)
            Fail("ConfigError without problems", what);
    }
    // Any other exception escapes: libFuzzer reports it as a crash.
    return 0;
}

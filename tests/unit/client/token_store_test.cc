#include "client/token_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace rooms::client {
namespace {

namespace fs = std::filesystem;

class TokenStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/rooms-token-store-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        root_ = pattern;
        dir_ = root_ / "config" / "rooms";
    }
    void TearDown() override { fs::remove_all(root_); }

    static unsigned Mode(const fs::path& p) {
        struct stat st {};
        EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
        return st.st_mode & 07777;
    }

    fs::path root_;
    fs::path dir_;
};

TEST_F(TokenStoreTest, SavedSessionsAreReadBackPerUrlAndNickname) {
    TokenStore store(dir_);
    std::string error;
    ASSERT_TRUE(store.Save({"http://a:8080", "alice", "token-a"}, error)) << error;
    ASSERT_TRUE(store.Save({"http://a:8080", "bob", "token-b"}, error)) << error;
    ASSERT_TRUE(store.Save({"http://b:8080", "alice", "token-c"}, error)) << error;
    EXPECT_EQ(store.Load("http://a:8080", "alice")->refresh_token, "token-a");
    EXPECT_EQ(store.Load("http://a:8080", "bob")->refresh_token, "token-b");
    EXPECT_EQ(store.Load("http://b:8080", "alice")->refresh_token, "token-c");
    EXPECT_FALSE(store.Load("http://b:8080", "bob"));
    EXPECT_EQ(store.Nicknames("http://a:8080"), (std::vector<std::string>{"alice", "bob"}));
    EXPECT_EQ(store.Nicknames("http://c:8080"), std::vector<std::string>{});
}

TEST_F(TokenStoreTest, FilesAreMode0600InADirectoryOfMode0700EvenUnderAPermissiveUmask) {
    const mode_t old = ::umask(0);
    TokenStore store(dir_);
    std::string error;
    const bool saved = store.Save({"http://a:8080", "alice", "secret"}, error);
    ::umask(old);
    ASSERT_TRUE(saved) << error;
    EXPECT_EQ(Mode(store.PathFor("http://a:8080", "alice")), 0600u);
    EXPECT_EQ(Mode(dir_), 0700u);
}

TEST_F(TokenStoreTest, ANewTokenReplacesTheOldAtomicallyLeavingNoTemporaryFile) {
    TokenStore store(dir_);
    std::string error;
    ASSERT_TRUE(store.Save({"http://a:8080", "alice", "first"}, error));
    ASSERT_TRUE(store.Save({"http://a:8080", "alice", "second"}, error));
    EXPECT_EQ(store.Load("http://a:8080", "alice")->refresh_token, "second");
    int files = 0;
    for (const auto& entry : fs::directory_iterator(dir_)) {
        ++files;
        EXPECT_EQ(entry.path().extension(), ".json") << entry.path();
    }
    EXPECT_EQ(files, 1);
}

TEST_F(TokenStoreTest, AFileOthersCanReadIsNotUsed) {
    TokenStore store(dir_);
    std::string error;
    ASSERT_TRUE(store.Save({"http://a:8080", "alice", "secret"}, error));
    const fs::path path = store.PathFor("http://a:8080", "alice");
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    std::string warning;
    EXPECT_FALSE(store.Load("http://a:8080", "alice", &warning));
    EXPECT_NE(warning.find("0644"), std::string::npos) << warning;
    EXPECT_EQ(warning.find("secret"), std::string::npos) << "the warning must not show the token";
    // Saving again writes a new private file.
    ASSERT_TRUE(store.Save({"http://a:8080", "alice", "fresh"}, error));
    EXPECT_EQ(Mode(path), 0600u);
    EXPECT_EQ(store.Load("http://a:8080", "alice")->refresh_token, "fresh");
}

TEST_F(TokenStoreTest, RemoveForgetsTheSession) {
    TokenStore store(dir_);
    std::string error;
    ASSERT_TRUE(store.Save({"http://a:8080", "alice", "secret"}, error));
    store.Remove("http://a:8080", "alice");
    EXPECT_FALSE(store.Load("http://a:8080", "alice"));
    EXPECT_FALSE(fs::exists(store.PathFor("http://a:8080", "alice")));
    store.Remove("http://a:8080", "alice");  // nothing there: no error
}

TEST_F(TokenStoreTest, NicknamesWithAnyCharacterGetTheirOwnFile) {
    TokenStore store(dir_);
    std::string error;
    ASSERT_TRUE(store.Save({"http://a:8080", "../../etc/passwd", "x"}, error)) << error;
    ASSERT_TRUE(store.Save({"http://a:8080", "名前 😀", "y"}, error)) << error;
    EXPECT_EQ(store.PathFor("http://a:8080", "../../etc/passwd").parent_path(), dir_);
    EXPECT_EQ(store.Load("http://a:8080", "名前 😀")->refresh_token, "y");
}

TEST_F(TokenStoreTest, ASessionCanBeLockedByOneHolderAtATime) {
    TokenStore store(dir_);
    auto first = store.TryLock("http://a:8080", "alice");
    ASSERT_TRUE(first);
    EXPECT_FALSE(store.TryLock("http://a:8080", "alice"));  // flock: per open file, so also within a process
    EXPECT_TRUE(store.TryLock("http://a:8080", "bob"));
    first.reset();
    EXPECT_TRUE(store.TryLock("http://a:8080", "alice"));
}

TEST_F(TokenStoreTest, AMalformedFileIsNoSession) {
    TokenStore store(dir_);
    std::string error;
    ASSERT_TRUE(store.Save({"http://a:8080", "alice", "secret"}, error));
    {
        std::ofstream out(store.PathFor("http://a:8080", "alice"), std::ios::trunc);
        out << "{not json";
    }
    EXPECT_FALSE(store.Load("http://a:8080", "alice"));
}

TEST(TokenStoreDirTest, DefaultDirFollowsXdgConfigHomeThenHome) {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const std::string saved_xdg = xdg ? xdg : "";
    ::setenv("XDG_CONFIG_HOME", "/x/config", 1);
    EXPECT_EQ(TokenStore::DefaultDir(), fs::path("/x/config/rooms"));
    ::unsetenv("XDG_CONFIG_HOME");
    if (const char* home = std::getenv("HOME")) {
        EXPECT_EQ(TokenStore::DefaultDir(), fs::path(home) / ".config/rooms");
    }
    if (xdg) ::setenv("XDG_CONFIG_HOME", saved_xdg.c_str(), 1);
}

}  // namespace
}  // namespace rooms::client

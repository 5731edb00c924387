// Starts one of the test servers of test/servers (Python, /usr/bin/python3) as a child process on
// a free loopback port, waits for its "READY <port>" line (bounded), and stops it (SIGTERM, then
// SIGKILL) when destroyed. Also runs the mail_summary.py checker and reads the servers' records.
#pragma once

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace mc::delivery::testing {

inline std::string temp_dir(const std::string& tag) {
  std::string templ =
      (std::filesystem::temp_directory_path() / ("mc-delivery-" + tag + "-XXXXXX")).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  return buf.data();
}

class ServerProcess {
 public:
  ServerProcess(const std::string& script, std::vector<std::string> args) {
    dir_ = temp_dir("srv");
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv = {MC_SYSTEM_PYTHON, std::string(MC_TEST_SERVERS) + "/" + script,
                                     "--dir", dir_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    int rc = posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (rc != 0) {
      close(out[0]);
      throw std::runtime_error("cannot start " + script);
    }
    // Read "READY <port>" within 15 s.
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, 200) > 0) {
        char buf[256];
        ssize_t n = read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        line.append(buf, static_cast<std::size_t>(n));
      }
    }
    close(out[0]);
    if (line.rfind("READY ", 0) != 0) {
      stop();
      throw std::runtime_error(script + " did not become ready: " + line);
    }
    port_ = std::atoi(line.c_str() + 6);
  }
  ~ServerProcess() {
    stop();
    std::error_code ec;
    if (!std::getenv("MC_KEEP_TEST_DIRS")) std::filesystem::remove_all(dir_, ec);
  }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

  nlohmann::json stats() const { return read_json(dir_ + "/stats.json"); }

  static nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) return nlohmann::json();
    try {
      return nlohmann::json::parse(in);
    } catch (...) {
      return nlohmann::json();
    }
  }

  // Waits (bounded) until the server recorded `n` messages / requests under `key`.
  bool wait_for(const char* key, int n, int timeout_ms = 5000) const {
    for (int waited = 0; waited < timeout_ms; waited += 20) {
      auto s = stats();
      if (s.is_object() && s.value(key, 0) >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

 private:
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = 0;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

  pid_t pid_ = 0;
  int port_ = 0;
  std::string dir_;
};

// Runs mail_summary.py on a received message and returns its JSON.
inline nlohmann::json mail_summary(const std::string& eml_path) {
  std::string cmd =
      std::string(MC_SYSTEM_PYTHON) + " " + MC_TEST_SERVERS + "/mail_summary.py '" + eml_path + "'";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return nlohmann::json();
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  try {
    return nlohmann::json::parse(out);
  } catch (...) {
    return nlohmann::json();
  }
}

}  // namespace mc::delivery::testing

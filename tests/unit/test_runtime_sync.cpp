#include <unistd.h>

#include <catch2/catch.hpp>

#include "runtime/sync.hpp"
#include "util/fd.hpp"

using namespace hutch::runtime;

TEST_CASE("sync: a failure record round-trips through the error pipe", "[unit][sync]") {
  hutch::Pipe pipe = hutch::Pipe::create();
  write_failure(pipe.write.get(), Failure{FailureKind::Exec, 2, "exec /x: No such file or directory (ENOENT)"});
  pipe.write.reset();
  char buf[8192];
  const ssize_t n = ::read(pipe.read.get(), buf, sizeof buf);
  REQUIRE(n > 0);
  auto f = parse_failure(std::string_view(buf, static_cast<std::size_t>(n)));
  REQUIRE(f.has_value());
  CHECK(f->kind == FailureKind::Exec);
  CHECK(f->sys_errno == 2);
  CHECK(f->message == "exec /x: No such file or directory (ENOENT)");
}

TEST_CASE("sync: long messages are cut, garbage is rejected", "[unit][sync]") {
  hutch::Pipe pipe = hutch::Pipe::create();
  write_failure(pipe.write.get(), Failure{FailureKind::Setup, 0, std::string(10000, 'x')});
  pipe.write.reset();
  char buf[8192];
  const ssize_t n = ::read(pipe.read.get(), buf, sizeof buf);
  REQUIRE(n > 0);
  CHECK(n < 4096);  // one atomic pipe write (PIPE_BUF)
  auto f = parse_failure(std::string_view(buf, static_cast<std::size_t>(n)));
  REQUIRE(f.has_value());
  CHECK(f->message.size() < 4096);
  CHECK_FALSE(parse_failure("").has_value());
  CHECK_FALSE(parse_failure("not a record at all, but long enough").has_value());
  CHECK_FALSE(parse_failure(std::string_view(buf, 10)).has_value());
}

TEST_CASE("sync: messages and an fd travel over the channel", "[unit][sync]") {
  auto [a, b] = SyncChannel::create_pair();
  hutch::Pipe pipe = hutch::Pipe::create();
  a.send(SyncMsg::PayloadStatus, 0x0300);
  a.send(SyncMsg::PtyMaster, 0, pipe.write.get());
  auto status = b.expect(SyncMsg::PayloadStatus);
  CHECK(status.value == 0x0300);
  auto with_fd = b.expect(SyncMsg::PtyMaster);
  REQUIRE(with_fd.fd.valid());
  CHECK(::write(with_fd.fd.get(), "z", 1) == 1);
  char c = 0;
  CHECK(::read(pipe.read.get(), &c, 1) == 1);
  CHECK(c == 'z');
  a.close();
  CHECK_FALSE(b.receive().has_value());
  CHECK_THROWS_WITH(b.expect(SyncMsg::SupervisorReady), "sync channel closed while waiting for SupervisorReady");
}

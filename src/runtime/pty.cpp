#include "runtime/pty.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::runtime {

PtyPair open_pty(const std::optional<TerminalSize>& size) {
  PtyPair pty;
  pty.master = sys::open("/dev/ptmx", O_RDWR | O_NOCTTY);
  if (::unlockpt(pty.master.get()) != 0) throw_sys("unlockpt", "/dev/ptmx");
  // ioctl_tty(2) TIOCGPTPEER: the slave from the master itself, with no path lookup a
  // hostile /dev/pts could race.
  const int slave = ::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) throw_sys("open pty slave of", "/dev/ptmx");
  pty.slave.reset(slave);
  if (size && size->rows != 0 && size->cols != 0) {
    winsize ws{};
    ws.ws_row = size->rows;
    ws.ws_col = size->cols;
    if (::ioctl(pty.master.get(), TIOCSWINSZ, &ws) != 0) throw_sys("set window size of", "pty");
  }
  log::debug("tty: pty allocated inside the sandbox ({}x{})", size ? size->cols : 0, size ? size->rows : 0);
  return pty;
}

}  // namespace hutch::runtime

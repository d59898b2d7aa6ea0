// Signal dispositions for processes hutch creates (init and payload).
#pragma once

namespace hutch::sig {

// Sets the disposition of every catchable signal (all but SIGKILL and SIGSTOP) to
// `handler`, which may be SIG_DFL. Reserved real-time signals refuse harmlessly.
void set_all_dispositions(void (*handler)(int)) noexcept;

}  // namespace hutch::sig

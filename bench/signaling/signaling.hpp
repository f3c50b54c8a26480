#pragma once

namespace lamplight::bench {

/// The control plane under load in one process (see signaling.cpp).
int run_signaling(int argc, char** argv);

} // namespace lamplight::bench

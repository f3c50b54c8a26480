// Journals arrive from the network too: a peer node ships its classrooms'
// journal bytes to the node that keeps their replicas, which reads them
// when it rebuilds a classroom. Whatever the bytes, reading takes a valid
// prefix, the model folds its events without crashing, and what it kept
// written again reads back the same.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include <unistd.h>

#include "storage/journal.hpp"
#include "protocol/classroom_model.hpp"

using namespace lamplight;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = "/tmp/fuzz-journal-" + std::to_string(::getpid());
  auto in = std::filesystem::path(dir) / "in.journal";
  auto out = std::filesystem::path(dir) / "out.journal";
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(in, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto r = storage::read_journal(in);
  if (!r)
    return 0;
  if (r->valid_size > size || (size > 0 && r->valid_size < 8))
    __builtin_trap();
  protocol::classroom_model model;
  for (const auto& ev : r->events)
    (void) model.apply(ev);
  std::filesystem::remove(out);
  storage::journal_writer w;
  if (w.open(out, 0).code != protocol::errc::none)
    __builtin_trap();
  for (const auto& ev : r->events)
    if (w.append(ev).code != protocol::errc::none)
      __builtin_trap();
  w.close();
  auto back = storage::read_journal(out);
  if (!back || back->events.size() != r->events.size() || back->truncated_tail)
    __builtin_trap();
  for (std::size_t i = 0; i < r->events.size(); ++i)
    if (back->events[i].SerializeAsString() != r->events[i].SerializeAsString())
      __builtin_trap();
  return 0;
}

#pragma once

#include <caf/atom.hpp>

// Atoms of lamplight's actor protocols. They live in their own namespace and
// are always spelled lamplight::atoms::x, because caf:: already has join_atom,
// get_atom, subscribe_atom... (atom text: at most 10 characters).
namespace lamplight::atoms {

#define LAMPLIGHT_ATOM(name) using name = caf::atom_constant<caf::atom(#name)>

LAMPLIGHT_ATOM(join);
LAMPLIGHT_ATOM(leave);
LAMPLIGHT_ATOM(attach);
LAMPLIGHT_ATOM(detach);
LAMPLIGHT_ATOM(client);
LAMPLIGHT_ATOM(push);
LAMPLIGHT_ATOM(delta);
LAMPLIGHT_ATOM(presence);
LAMPLIGHT_ATOM(command);
LAMPLIGHT_ATOM(invite);
LAMPLIGHT_ATOM(ring);
LAMPLIGHT_ATOM(call);
LAMPLIGHT_ATOM(device);
LAMPLIGHT_ATOM(outcome);
LAMPLIGHT_ATOM(kick);
LAMPLIGHT_ATOM(qna);
LAMPLIGHT_ATOM(timeout);
LAMPLIGHT_ATOM(watch);
LAMPLIGHT_ATOM(close);
LAMPLIGHT_ATOM(flush);
LAMPLIGHT_ATOM(create);
LAMPLIGHT_ATOM(open);
LAMPLIGHT_ATOM(lookup);
LAMPLIGHT_ATOM(list);
LAMPLIGHT_ATOM(dispatch);
LAMPLIGHT_ATOM(token);
LAMPLIGHT_ATOM(shutdown);
LAMPLIGHT_ATOM(avail);
LAMPLIGHT_ATOM(ask);
LAMPLIGHT_ATOM(withdraw);
LAMPLIGHT_ATOM(done);
LAMPLIGHT_ATOM(frame);
LAMPLIGHT_ATOM(closed);
LAMPLIGHT_ATOM(subscribe);
LAMPLIGHT_ATOM(unsub);
LAMPLIGHT_ATOM(mute);
LAMPLIGHT_ATOM(layer);
LAMPLIGHT_ATOM(status);
LAMPLIGHT_ATOM(publish);
LAMPLIGHT_ATOM(unpublish);
LAMPLIGHT_ATOM(answer);
LAMPLIGHT_ATOM(drop);
LAMPLIGHT_ATOM(retry);
LAMPLIGHT_ATOM(beat);
LAMPLIGHT_ATOM(drain);
LAMPLIGHT_ATOM(photo);
LAMPLIGHT_ATOM(tally);
LAMPLIGHT_ATOM(replicate);
LAMPLIGHT_ATOM(replica);
LAMPLIGHT_ATOM(store);
LAMPLIGHT_ATOM(adopt);
LAMPLIGHT_ATOM(rebuild);
LAMPLIGHT_ATOM(pipe);
LAMPLIGHT_ATOM(place);
LAMPLIGHT_ATOM(resync);

#undef LAMPLIGHT_ATOM

} // namespace lamplight::atoms

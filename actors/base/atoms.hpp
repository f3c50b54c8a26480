#pragma once

#include <caf/atom.hpp>

// Atoms of lamplight's actor protocols. They live in their own namespace and
// are always spelled lamplight::atoms::x, because caf:: already has join_atom,
// get_atom, subscribe_atom... (atom text: at most 10 characters). Each says
// one thing; where one atom heads several messages of an actor, the body
// type tells them apart and they belong to one concern.
namespace lamplight::atoms {

#define LAMPLIGHT_ATOM(name) using name = caf::atom_constant<caf::atom(#name)>

// -- sessions and participants
LAMPLIGHT_ATOM(attach);    // a session takes a participant's seat
LAMPLIGHT_ATOM(detach);    // that session's connection closed
LAMPLIGHT_ATOM(client);    // one client request
LAMPLIGHT_ATOM(push);      // a message for the client, unasked
LAMPLIGHT_ATOM(kick);      // the session or seat is over
LAMPLIGHT_ATOM(frame);     // a frame from the socket
LAMPLIGHT_ATOM(closed);    // the socket closed
LAMPLIGHT_ATOM(retry);     // own timer: try that again (attempt or seed)
LAMPLIGHT_ATOM(timeout);   // own timer of a state machine

// -- classroom: membership and state
LAMPLIGHT_ATOM(join);      // take a seat (classroom) or membership (cluster)
LAMPLIGHT_ATOM(leave);     // give it up
LAMPLIGHT_ATOM(presence);  // a member's connection came or went
LAMPLIGHT_ATOM(delta);     // a classroom event for a participant
LAMPLIGHT_ATOM(resync);    // media lost: publish and subscribe again
LAMPLIGHT_ATOM(speakers);  // who is speaking now, for a client
LAMPLIGHT_ATOM(watch);     // every event of a classroom, for a watcher
LAMPLIGHT_ATOM(close);     // end this (classroom, track, media room, leg)
LAMPLIGHT_ATOM(flush);     // make what was written durable (journal, replicas)

// -- classroom: requests by concern (the body type says which)
LAMPLIGHT_ATOM(hand);      // RaiseHand, LowerHand, AcceptHand, DismissHand
LAMPLIGHT_ATOM(board);     // WhiteboardOp
LAMPLIGHT_ATOM(device);    // a device command on its way to a lamp
LAMPLIGHT_ATOM(outcome);   // how a device command turned out
LAMPLIGHT_ATOM(invite);    // start a call
LAMPLIGHT_ATOM(ring);      // an incoming call for a participant
LAMPLIGHT_ATOM(call);      // a party's move in a call
LAMPLIGHT_ATOM(moderate);  // the tenant's backend acts on a classroom (server API)

// -- tracks and media rooms
LAMPLIGHT_ATOM(publish);
LAMPLIGHT_ATOM(unpublish);
LAMPLIGHT_ATOM(subscribe);
LAMPLIGHT_ATOM(answer);    // a subscriber's answer to its session's offer
LAMPLIGHT_ATOM(offer);     // a subscribe session's offer, for its member
LAMPLIGHT_ATOM(unsub);
LAMPLIGHT_ATOM(mute);
LAMPLIGHT_ATOM(layer);     // a subscriber's preferred simulcast layer
LAMPLIGHT_ATOM(drop);      // forget everything of a member
LAMPLIGHT_ATOM(near);      // where a member's participant runs
LAMPLIGHT_ATOM(pipe);      // a track's copy between media workers
LAMPLIGHT_ATOM(leg);       // a classroom's share of a media node's worker
LAMPLIGHT_ATOM(photo);     // a message of a lamp's photo channel
LAMPLIGHT_ATOM(place);     // choose a media node for a member
LAMPLIGHT_ATOM(speaking);  // a published microphone is voiced, or no longer
LAMPLIGHT_ATOM(refeed);    // these tracks may come from another Janus feed now

// -- Q&A
LAMPLIGHT_ATOM(qna);       // a question's update for a student
LAMPLIGHT_ATOM(avail);     // a teacher is (not) available
LAMPLIGHT_ATOM(ask);       // a student asks
LAMPLIGHT_ATOM(withdraw);  // and takes it back
LAMPLIGHT_ATOM(done);      // a Q&A classroom closed

// -- node directory
LAMPLIGHT_ATOM(create);    // a classroom
LAMPLIGHT_ATOM(open);      // a classroom, for a join
LAMPLIGHT_ATOM(lookup);    // where a classroom is
LAMPLIGHT_ATOM(list);
LAMPLIGHT_ATOM(dispatch);  // a tenant's Q&A dispatcher
LAMPLIGHT_ATOM(token);     // sign a join token
LAMPLIGHT_ATOM(status);
LAMPLIGHT_ATOM(tally);     // count for the node's metrics
LAMPLIGHT_ATOM(adopt);     // rebuild a classroom from its replica here
LAMPLIGHT_ATOM(rebuild);   // rebuild this node's own journals
LAMPLIGHT_ATOM(drain);     // hand every classroom over to other nodes
LAMPLIGHT_ATOM(shutdown);

// -- cluster
LAMPLIGHT_ATOM(listen);    // the node listens: its endpoints are known
LAMPLIGHT_ATOM(placed);    // a classroom was placed on a node
LAMPLIGHT_ATOM(handover);  // hand a classroom over to its replica's node
LAMPLIGHT_ATOM(draining);  // take no new classrooms (or again)
LAMPLIGHT_ATOM(beat);      // heartbeat
LAMPLIGHT_ATOM(replica);   // which node keeps a classroom's replica
LAMPLIGHT_ATOM(replicate); // copy this (journal length, photo) to the replica
LAMPLIGHT_ATOM(store);     // keep this replica (journal bytes, photo)

#undef LAMPLIGHT_ATOM

} // namespace lamplight::atoms

#include "actors/classroom/dispatcher_actor.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/base/errors.hpp"
#include "backend/random_id.hpp"

namespace lamplight::actors {

namespace {

using protocol::errc;

constexpr auto directory_timeout = std::chrono::seconds(10);

struct teacher_entry {
  protocol::token_claims claims;
  member_actor participant;
};

struct question {
  std::string id;
  protocol::token_claims student;
  signal::QnaAsk ask;
  member_actor participant;
  uint32_t last_position = 0;  // last position the student was told
};

struct dispatcher_state {
  std::string tenant;
  qna_directory_actor directory;
  std::shared_ptr<backend::history_writer> history;
  std::deque<teacher_entry> free;        // free the longest first
  std::deque<question> queue;            // oldest first
  std::map<std::string, teacher_entry> busy;  // Q&A classroom id -> its teacher
  static inline const char* name = "lamplight.dispatcher";
};

using self_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;

signal::QnaUpdate update(const question& q, signal::QnaState state) {
  signal::QnaUpdate u;
  u.set_question_id(q.id);
  u.set_state(state);
  u.set_subject(q.ask.subject());
  return u;
}

/// The question's step, for the tenant's history (and its webhooks).
void record(self_ptr self, const question& q, signal::QnaState state,
            const std::string& teacher = {}, const std::string& classroom = {}) {
  if (!self->state.history)
    return;
  backend::question_event e{q.id,    q.student.identity, q.ask.subject(), state,
                            teacher, classroom,          backend::wall_ms()};
  self->state.history->post_question(self->state.tenant, e);
}

/// Tells every queued student whose position changed where it stands now.
void announce_positions(self_ptr self) {
  uint32_t pos = 0;
  for (auto& q : self->state.queue) {
    ++pos;
    if (q.last_position == pos)
      continue;
    q.last_position = pos;
    auto u = update(q, signal::QNA_STATE_QUEUED);
    u.set_position(pos);
    self->send(q.participant, atoms::qna::value, u);
  }
}

bool is_teacher_busy(self_ptr self, const std::string& identity) {
  for (auto& [cls, t] : self->state.busy)
    if (t.claims.identity == identity)
      return true;
  return false;
}

protocol::token_claims claims_for(const protocol::token_claims& who, const std::string& cls) {
  auto c = who;
  c.classroom = cls;
  c.child.clear();
  c.expires_at = 0;  // the directory's token lifetime
  c.mode = who.role == signal::ROLE_STUDENT ? signal::MODE_UNSPECIFIED : signal::MODE_ONE_ON_ONE;
  return c;
}

void match(self_ptr self, teacher_entry t, question q);

void try_match(self_ptr self) {
  auto& st = self->state;
  while (!st.free.empty() && !st.queue.empty()) {
    auto t = std::move(st.free.front());
    st.free.pop_front();
    auto q = std::move(st.queue.front());
    st.queue.pop_front();
    match(self, std::move(t), std::move(q));
  }
  announce_positions(self);
}

/// Opens a one-on-one classroom for the pair and sends each a token for it.
void match(self_ptr self, teacher_entry t, question q) {
  auto cls = "qna-" + q.id;
  self->state.busy.emplace(cls, t);
  classroom_spec spec{self->state.tenant, cls, signal::MODE_ONE_ON_ONE, 0};
  auto fail = [=](caf::error&) {
    // The student hears the question expired; the teacher is free again.
    self->state.busy.erase(cls);
    self->send(q.participant, atoms::qna::value, update(q, signal::QNA_STATE_EXPIRED));
    record(self, q, signal::QNA_STATE_EXPIRED);
    self->state.free.push_front(t);
  };
  self->request(self->state.directory, directory_timeout, atoms::create::value, spec)
    .then(
      [=](const classroom_actor&) {
        self->request(self->state.directory, directory_timeout, atoms::token::value,
                      claims_for(t.claims, cls))
          .then(
            [=](const std::string& teacher_token) {
              self->request(self->state.directory, directory_timeout, atoms::token::value,
                            claims_for(q.student, cls))
                .then(
                  [=](const std::string& student_token) {
                    auto u = update(q, signal::QNA_STATE_MATCHED);
                    u.set_classroom_id(cls);
                    u.set_token(student_token);
                    u.set_peer(t.claims.identity);
                    self->send(q.participant, atoms::qna::value, u);
                    u.set_token(teacher_token);
                    u.set_peer(q.student.identity);
                    self->send(t.participant, atoms::qna::value, u);
                    record(self, q, signal::QNA_STATE_MATCHED, t.claims.identity, cls);
                  },
                  fail);
            },
            fail);
      },
      fail);
}

void drop_participant(self_ptr self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto same = [&](const member_actor& p) { return who == caf::actor_cast<caf::actor_addr>(p); };
  auto before = st.queue.size();
  st.free.erase(std::remove_if(st.free.begin(), st.free.end(),
                               [&](const teacher_entry& t) { return same(t.participant); }),
                st.free.end());
  // A student gone with its questions: withdrawn, as far as the history goes.
  for (const auto& q : st.queue)
    if (same(q.participant))
      record(self, q, signal::QNA_STATE_WITHDRAWN);
  st.queue.erase(std::remove_if(st.queue.begin(), st.queue.end(),
                                [&](const question& q) { return same(q.participant); }),
                 st.queue.end());
  if (st.queue.size() != before)
    announce_positions(self);
}

dispatcher_actor::behavior_type dispatcher_impl(self_ptr self, std::string tenant,
                                                qna_directory_actor directory,
                                                std::shared_ptr<backend::history_writer> history) {
  self->state.tenant = std::move(tenant);
  self->state.directory = std::move(directory);
  self->state.history = std::move(history);
  self->set_down_handler([=](caf::down_msg& dm) { drop_participant(self, dm.source); });
  return {
    [=](atoms::avail, const protocol::token_claims& who, bool available,
        member_actor p) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      if (who.tenant != st.tenant)
        return make_error(errc::tenant_mismatch, "another tenant's dispatcher");
      if (who.role != signal::ROLE_TEACHER && who.role != signal::ROLE_ASSISTANT)
        return make_error(errc::permission_denied, "only teachers answer questions");
      auto it = std::find_if(st.free.begin(), st.free.end(), [&](const teacher_entry& t) {
        return t.claims.identity == who.identity;
      });
      if (!available) {
        if (it != st.free.end())
          st.free.erase(it);
        return caf::ok_atom::value;
      }
      if (it == st.free.end()) {
        // Coming back from a Q&A session frees the teacher's last pairing.
        for (auto b = st.busy.begin(); b != st.busy.end();)
          b = b->second.claims.identity == who.identity ? st.busy.erase(b) : std::next(b);
        self->monitor(p);
        st.free.push_back(teacher_entry{who, p});
        try_match(self);
      }
      return caf::ok_atom::value;
    },
    [=](atoms::ask, const protocol::token_claims& who, const signal::QnaAsk& ask,
        member_actor p) -> caf::result<signal::QnaAsked> {
      auto& st = self->state;
      if (who.tenant != st.tenant)
        return make_error(errc::tenant_mismatch, "another tenant's dispatcher");
      if (who.role != signal::ROLE_STUDENT)
        return make_error(errc::permission_denied, "only students ask questions");
      if (ask.text().size() > 4096 || ask.subject().size() > 128)
        return make_error(errc::payload_too_large, "question too long");
      for (auto& q : st.queue)
        if (q.student.identity == who.identity)
          return make_error(errc::wrong_state, "a question is already queued: " + q.id);
      // Unique beyond this dispatcher's life: it names the pair's classroom
      // (and its journal) and the question in the tenant's history.
      question q{"q-" + backend::random_hex(8), who, ask, p, 0};
      auto id = q.id;
      record(self, q, signal::QNA_STATE_QUEUED);
      self->monitor(p);
      st.queue.push_back(std::move(q));
      // Tell the asker its position in the reply, not in a separate update.
      st.queue.back().last_position = static_cast<uint32_t>(st.queue.size());
      try_match(self);
      signal::QnaAsked out;
      out.set_question_id(id);
      for (std::size_t i = 0; i < st.queue.size(); ++i)
        if (st.queue[i].id == id)
          out.set_position(static_cast<uint32_t>(i + 1));
      return out;
    },
    [=](atoms::withdraw, const std::string& student,
        const std::string& id) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      auto it = std::find_if(st.queue.begin(), st.queue.end(), [&](const question& q) {
        return q.id == id && q.student.identity == student;
      });
      if (it == st.queue.end())
        return make_error(errc::not_found, "no queued question " + id);
      self->send(it->participant, atoms::qna::value, update(*it, signal::QNA_STATE_WITHDRAWN));
      record(self, *it, signal::QNA_STATE_WITHDRAWN);
      st.queue.erase(it);
      announce_positions(self);
      return caf::ok_atom::value;
    },
    [=](atoms::done, const std::string& cls) {
      auto& st = self->state;
      auto it = st.busy.find(cls);
      if (it == st.busy.end())
        return;
      auto t = it->second;
      st.busy.erase(it);
      if (!is_teacher_busy(self, t.claims.identity))
        st.free.push_back(t);
      try_match(self);
    },
    [=](caf::get_atom) {
      std::vector<std::string> teachers;
      std::vector<std::string> questions;
      for (auto& t : self->state.free)
        teachers.push_back(t.claims.identity);
      for (auto& q : self->state.queue)
        questions.push_back(q.id);
      return caf::make_result(std::move(teachers), std::move(questions));
    },
  };
}

} // namespace

dispatcher_actor spawn_dispatcher(caf::actor_system& sys, std::string tenant,
                                  qna_directory_actor directory,
                                  std::shared_ptr<backend::history_writer> history) {
  return sys.spawn(dispatcher_impl, std::move(tenant), std::move(directory), std::move(history));
}

} // namespace lamplight::actors

// Q&A dispatch: fair matching, queue positions, a one-on-one room per pair.
#include "backend/history_queries.hpp"
#include "tests/actors/actor_fixture.hpp"

using namespace lamplight::test;

namespace {

struct qna_fixture : actor_fixture {
  client* lobby_teacher = nullptr;

  qna_fixture() {
    auto c = claims("t-host", sig::ROLE_TEACHER, "lobby");
    c.mode = sig::MODE_LARGE_CLASS;
    lobby_teacher = &join(c);
  }

  client& in_lobby(const std::string& who, sig::Role role) {
    return join(claims(who, role, "lobby"));
  }

  static sig::ClientMessage available(bool yes) {
    sig::ClientMessage m;
    m.mutable_qna_availability()->set_available(yes);
    return m;
  }
  static sig::ClientMessage ask(const std::string& subject) {
    sig::ClientMessage m;
    m.mutable_qna_ask()->set_subject(subject);
    m.mutable_qna_ask()->set_text("how do fractions work?");
    return m;
  }
  static std::vector<sig::QnaUpdate> updates(const client& c) {
    std::vector<sig::QnaUpdate> out;
    for (auto& m : c.pushes(sig::ServerMessage::kQnaUpdate))
      out.push_back(m.qna_update());
    return out;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(dispatcher_actor, qna_fixture)

BOOST_AUTO_TEST_CASE(questions_queue_and_match_in_fair_order) {
  auto& s1 = in_lobby("s-1", sig::ROLE_STUDENT);
  auto& s2 = in_lobby("s-2", sig::ROLE_STUDENT);
  auto& s3 = in_lobby("s-3", sig::ROLE_STUDENT);
  auto r1 = request(s1, ask("math"));
  auto r2 = request(s2, ask("physics"));
  auto r3 = request(s3, ask("art"));
  BOOST_TEST(r1.qna_asked().position() == 1u);
  BOOST_TEST(r2.qna_asked().position() == 2u);
  BOOST_TEST(r3.qna_asked().position() == 3u);
  BOOST_TEST((code_of(request(s1, ask("again"))) == errc::wrong_state));

  auto& t1 = in_lobby("t-1", sig::ROLE_TEACHER);
  BOOST_TEST(request(t1, available(true)).has_ack());
  // The oldest question goes to the free teacher; the rest move up.
  auto u1 = updates(s1);
  BOOST_REQUIRE(!u1.empty());
  BOOST_TEST(u1.back().state() == sig::QNA_STATE_MATCHED);
  BOOST_TEST(u1.back().peer() == "t-1");
  auto tu = updates(t1);
  BOOST_REQUIRE(tu.size() == 1u);
  BOOST_TEST(tu[0].peer() == "s-1");
  BOOST_TEST(updates(s2).back().position() == 1u);
  BOOST_TEST(updates(s3).back().position() == 2u);

  // Both join the one-on-one room with the tokens they were given.
  auto& teacher_room = connect();
  sig::ClientMessage jt;
  jt.mutable_join()->set_token(tu[0].token());
  BOOST_TEST(request(teacher_room, jt).has_joined());
  auto& student_room = connect();
  sig::ClientMessage js;
  js.mutable_join()->set_token(u1.back().token());
  auto joined = request(student_room, js);
  BOOST_REQUIRE(joined.has_joined());
  BOOST_TEST(joined.joined().snapshot().mode() == sig::MODE_ONE_ON_ONE);
  BOOST_TEST(joined.joined().snapshot().classroom_id() == u1.back().classroom_id());

  // Withdrawing moves the queue up.
  sig::ClientMessage w;
  w.mutable_qna_withdraw()->set_question_id(r2.qna_asked().question_id());
  BOOST_TEST(request(s2, w).has_ack());
  BOOST_TEST(updates(s2).back().state() == sig::QNA_STATE_WITHDRAWN);
  BOOST_TEST(updates(s3).back().position() == 1u);

  // A second free teacher takes the next question at once.
  auto& t2 = in_lobby("t-2", sig::ROLE_TEACHER);
  request(t2, available(true));
  BOOST_TEST(updates(s3).back().state() == sig::QNA_STATE_MATCHED);
  BOOST_TEST(updates(s3).back().peer() == "t-2");
}

BOOST_AUTO_TEST_CASE(each_questions_steps_reach_the_tenants_history) {
  auto file = (dir.path / "history.db").string();
  auto writer = lamplight::backend::history_writer::open(file);
  BOOST_REQUIRE(bool(writer));
  stop_directory();
  history = *writer;
  start_directory();
  lobby_teacher = &join([] {
    auto c = claims("t-host", sig::ROLE_TEACHER, "lobby");
    c.mode = sig::MODE_LARGE_CLASS;
    return c;
  }());
  auto& s1 = in_lobby("s-1", sig::ROLE_STUDENT);
  auto& s2 = in_lobby("s-2", sig::ROLE_STUDENT);
  auto q1 = request(s1, ask("math")).qna_asked().question_id();
  auto q2 = request(s2, ask("physics")).qna_asked().question_id();
  BOOST_TEST(q1 != q2);
  sig::ClientMessage withdraw;
  withdraw.mutable_qna_withdraw()->set_question_id(q2);
  BOOST_TEST(request(s2, withdraw).has_ack());
  auto& t1 = in_lobby("t-1", sig::ROLE_TEACHER);
  BOOST_TEST(request(t1, available(true)).has_ack());
  auto matched = updates(s1).back();
  BOOST_REQUIRE(matched.state() == sig::QNA_STATE_MATCHED);

  BOOST_REQUIRE(history->flush(std::chrono::seconds(10)));
  auto store = lamplight::backend::history_store::open(file);
  BOOST_REQUIRE(bool(store));
  auto list = (*store)->questions("acme", {});
  BOOST_REQUIRE_MESSAGE(bool(list), (list ? "" : list.err().message));
  BOOST_REQUIRE(list->questions_size() == 2);
  std::map<std::string, lamplight::api::v1::Question> by_id;
  for (const auto& q : list->questions())
    by_id[q.id()] = q;
  BOOST_TEST(by_id[q1].state() == "matched");
  BOOST_TEST(by_id[q1].teacher() == "t-1");
  BOOST_TEST(by_id[q1].classroom() == matched.classroom_id());
  BOOST_TEST(by_id[q1].subject() == "math");
  BOOST_TEST(by_id[q2].state() == "withdrawn");
  BOOST_TEST(by_id[q2].student() == "s-2");
}

BOOST_AUTO_TEST_CASE(roles_are_checked) {
  auto& s1 = in_lobby("s-1", sig::ROLE_STUDENT);
  BOOST_TEST((code_of(request(s1, available(true))) == errc::permission_denied));
  BOOST_TEST((code_of(request(*lobby_teacher, ask("x"))) == errc::permission_denied));
}

BOOST_AUTO_TEST_SUITE_END()

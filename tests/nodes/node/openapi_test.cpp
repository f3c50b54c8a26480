// The server API's OpenAPI document (web/api/v1/openapi.json) against the
// code it describes, so the two cannot drift apart unnoticed:
//   - every message of the lamplight.api.v1 proto package has a schema of its
//     name whose properties are exactly the message's JSON field names, each
//     of the type protobuf's JSON mapping gives it (and no other schemas but
//     the webhook bodies);
//   - the enumerations it lists are the words the code uses (modes, roles,
//     track kinds, call phases, error codes, webhook event types);
//   - the webhook body's `data` is the classroom event of each announced
//     type, field for field;
//   - the paths and methods are exactly the routes of server_api.hpp's
//     comment, each with its success status, a 401 and JSON Error bodies;
//   - every $ref resolves.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "backend/history_labels.hpp"
#include "backend/history_writer.hpp"
#include "backend/webhooks.hpp"
#include "lamplight/api/v1/api.pb.h"
#include "lamplight/signal/v1/classroom.pb.h"
#include "lamplight/signal/v1/stream.pb.h"
#include "lamplight/signal/v1/workflow.pb.h"
#include "protocol/errc.hpp"
#include "protocol/token.hpp"

namespace {

namespace pb = google::protobuf;
namespace sig = lamplight::signal::v1;
namespace backend = lamplight::backend;
namespace protocol = lamplight::protocol;
using strings = std::set<std::string>;

constexpr const char* document_file = LAMPLIGHT_OPENAPI_FILE;
constexpr const char* schema_ref_prefix = "#/components/schemas/";

/// Schemas that are no api.v1 message: the webhook body and its parts.
const strings webhook_schemas = {"WebhookEvent", "WebhookEventData", "WebhookMember",
                                 "WebhookCall"};

/// The routes of nodes/node/server_api.hpp's comment: method, OpenAPI path,
/// success status.
struct route {
  const char* method;
  const char* path;
  const char* success;
};
const route routes[] = {
    {"post", "/api/v1/classrooms", "201"},
    {"get", "/api/v1/classrooms", "200"},
    {"get", "/api/v1/classrooms/{id}", "200"},
    {"post", "/api/v1/classrooms/{id}/end", "200"},
    {"post", "/api/v1/classrooms/{id}/members/{identity}/remove", "204"},
    {"post", "/api/v1/classrooms/{id}/tracks/{track}/mute", "204"},
    {"post", "/api/v1/classrooms/{id}/members/{identity}/commands", "202"},
    {"post", "/api/v1/tokens", "200"},
    {"post", "/api/v1/lamps", "201"},
    {"get", "/api/v1/lamps", "200"},
    {"delete", "/api/v1/lamps/{serial}", "204"},
    {"post", "/api/v1/guardians", "201"},
    {"get", "/api/v1/guardians", "200"},
    {"delete", "/api/v1/guardians/{parent}/{child}", "204"},
    {"get", "/api/v1/lessons", "200"},
    {"get", "/api/v1/lessons/{id}", "200"},
    {"get", "/api/v1/lessons/{id}/attendance.csv", "200"},
    {"get", "/api/v1/questions", "200"},
    {"get", "/api/v1/usage", "200"},
    {"post", "/api/v1/webhooks", "201"},
    {"get", "/api/v1/webhooks", "200"},
    {"delete", "/api/v1/webhooks/{id}", "204"},
    {"get", "/api/v1/keys", "200"},
    {"get", "/api/v1/webhooks/deliveries", "200"},
};
/// Served unauthenticated from the web root, not by server_api.
constexpr const char* openapi_path = "/api/v1/openapi.json";

/// The statuses server_api's http_status maps protocol::errc to.
const strings error_statuses = {"400", "401", "403", "404", "409", "413", "500", "503"};

const strings http_methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The document, parsed once (a failure is reported by every test using it).
const pb::Struct& document() {
  static const pb::Struct doc = [] {
    pb::Struct out;
    auto text = read_file(document_file);
    auto st = pb::util::JsonStringToMessage(text, &out);
    if (text.empty() || !st.ok())
      out.Clear();
    return out;
  }();
  return doc;
}

const pb::Struct* object(const pb::Struct& s, const std::string& key) {
  auto i = s.fields().find(key);
  if (i == s.fields().end() || !i->second.has_struct_value())
    return nullptr;
  return &i->second.struct_value();
}

const pb::ListValue* list(const pb::Struct& s, const std::string& key) {
  auto i = s.fields().find(key);
  if (i == s.fields().end() || !i->second.has_list_value())
    return nullptr;
  return &i->second.list_value();
}

std::string text(const pb::Struct& s, const std::string& key) {
  auto i = s.fields().find(key);
  if (i == s.fields().end() || i->second.kind_case() != pb::Value::kStringValue)
    return {};
  return i->second.string_value();
}

strings keys(const pb::Struct* s) {
  strings out;
  if (s)
    for (const auto& [k, v] : s->fields())
      out.insert(k);
  return out;
}

/// The strings of a schema's `enum` (empty if it has none).
strings enum_of(const pb::Struct& schema) {
  strings out;
  if (auto* values = list(schema, "enum"))
    for (const auto& v : values->values())
      out.insert(v.string_value());
  return out;
}

/// Follows "a/b/c" from `root` through objects.
const pb::Struct* at(const pb::Struct& root, const std::vector<std::string>& path) {
  const pb::Struct* s = &root;
  for (const auto& k : path) {
    s = object(*s, k);
    if (!s)
      return nullptr;
  }
  return s;
}

const pb::Struct& schemas() {
  static const pb::Struct empty;
  auto* s = at(document(), {"components", "schemas"});
  return s ? *s : empty;
}

/// A property of a component schema, or nullptr.
const pb::Struct* property(const std::string& schema, const std::string& name) {
  return at(schemas(), {schema, "properties", name});
}

/// A property of a component schema that must be there.
const pb::Struct& required_property(const std::string& schema, const std::string& name) {
  auto* p = property(schema, name);
  BOOST_TEST_REQUIRE(p != nullptr, "no " << schema << "." << name);
  return *p;
}

/// Where a property schema points: its $ref, or that of its one allOf element
/// (OpenAPI 3.0 ignores a $ref's siblings, so a described reference is
/// wrapped in allOf).
std::string ref_of(const pb::Struct& p) {
  if (auto r = text(p, "$ref"); !r.empty())
    return r;
  if (auto* all = list(p, "allOf");
      all && all->values_size() == 1 && all->values(0).has_struct_value())
    return text(all->values(0).struct_value(), "$ref");
  return {};
}

std::string json_type(const pb::FieldDescriptor* f) {
  switch (f->cpp_type()) {
  case pb::FieldDescriptor::CPPTYPE_INT32:
  case pb::FieldDescriptor::CPPTYPE_UINT32:
    return "integer";
  case pb::FieldDescriptor::CPPTYPE_INT64:
  case pb::FieldDescriptor::CPPTYPE_UINT64:
    return "string"; // the JSON mapping's
  case pb::FieldDescriptor::CPPTYPE_DOUBLE:
  case pb::FieldDescriptor::CPPTYPE_FLOAT:
    return "number";
  case pb::FieldDescriptor::CPPTYPE_BOOL:
    return "boolean";
  case pb::FieldDescriptor::CPPTYPE_ENUM:
  case pb::FieldDescriptor::CPPTYPE_STRING:
    return "string";
  case pb::FieldDescriptor::CPPTYPE_MESSAGE:
    return "object";
  }
  return "?";
}

void check_message(const pb::Descriptor* d, const pb::Struct& schema, const std::string& where);

/// One value of field `f` (an element, if repeated) against its schema `p`.
void check_value(const pb::FieldDescriptor* f, const pb::Struct& p, const std::string& where) {
  BOOST_TEST_CONTEXT(where) {
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      BOOST_TEST(text(p, "type") == json_type(f));
      if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_ENUM)
        for (const auto& v : enum_of(p))
          BOOST_TEST(f->enum_type()->FindValueByName(v) != nullptr,
                     "no " << v << " in " << f->enum_type()->full_name());
      return;
    }
    if (f->message_type()->full_name() == "google.protobuf.Timestamp") {
      BOOST_TEST(text(p, "type") == "string");
      BOOST_TEST(text(p, "format") == "date-time");
      return;
    }
    auto ref = ref_of(p);
    if (ref.empty()) { // an object described in place
      check_message(f->message_type(), p, where);
      return;
    }
    BOOST_TEST_REQUIRE(ref.rfind(schema_ref_prefix, 0) == 0u);
    auto name = ref.substr(std::string(schema_ref_prefix).size());
    if (f->message_type()->file() == lamplight::api::v1::Classroom::descriptor()->file())
      BOOST_TEST(name == f->message_type()->name());
    auto* target = object(schemas(), name);
    BOOST_TEST_REQUIRE(target != nullptr, "no schema " << name);
    check_message(f->message_type(), *target, where + " -> " + name);
  }
}

/// `schema` describes message `d` as protobuf's JSON mapping writes it:
/// exactly its fields' JSON names, each of the right type.
void check_message(const pb::Descriptor* d, const pb::Struct& schema, const std::string& where) {
  BOOST_TEST_CONTEXT(where << " (" << d->full_name() << ")") {
    BOOST_TEST(text(schema, "type") == "object");
    auto* props = object(schema, "properties");
    strings fields;
    for (int i = 0; i < d->field_count(); ++i)
      fields.insert(d->field(i)->json_name());
    BOOST_TEST(keys(props) == fields, "properties are not the message's fields");
    if (!props)
      return;
    for (int i = 0; i < d->field_count(); ++i) {
      const auto* f = d->field(i);
      auto* p = object(*props, f->json_name());
      if (!p)
        continue; // reported above
      auto at_field = where + "." + f->json_name();
      if (f->is_repeated()) {
        BOOST_TEST_CONTEXT(at_field) {
          BOOST_TEST(text(*p, "type") == "array");
          auto* items = object(*p, "items");
          BOOST_TEST_REQUIRE(items != nullptr);
          check_value(f, *items, at_field + "[]");
        }
      } else {
        check_value(f, *p, at_field);
      }
    }
  }
}

/// The non-empty words `label` gives an enum's values.
strings labels(const pb::EnumDescriptor* e, const std::function<std::string(int)>& label) {
  strings out;
  for (int i = 0; i < e->value_count(); ++i)
    if (auto word = label(e->value(i)->number()); !word.empty())
      out.insert(word);
  return out;
}

/// Every "$ref" string anywhere under `v`.
void collect_refs(const pb::Value& v, strings& out) {
  if (v.has_struct_value()) {
    for (const auto& [k, x] : v.struct_value().fields()) {
      if (k == "$ref" && x.kind_case() == pb::Value::kStringValue)
        out.insert(x.string_value());
      collect_refs(x, out);
    }
  } else if (v.has_list_value()) {
    for (const auto& x : v.list_value().values())
      collect_refs(x, out);
  }
}

/// A response object, its $ref (to components/responses) followed.
const pb::Struct* response(const pb::Struct& r) {
  auto ref = text(r, "$ref");
  if (ref.empty())
    return &r;
  const std::string prefix = "#/components/responses/";
  if (ref.rfind(prefix, 0) != 0)
    return nullptr;
  return at(document(), {"components", "responses", ref.substr(prefix.size())});
}

} // namespace

BOOST_AUTO_TEST_SUITE(openapi)

BOOST_AUTO_TEST_CASE(document_parses_as_openapi_3) {
  const auto& doc = document();
  BOOST_TEST_REQUIRE(!doc.fields().empty(), document_file << " is missing or not JSON");
  BOOST_TEST(text(doc, "openapi") == "3.0.3");
  auto* info = object(doc, "info");
  BOOST_TEST_REQUIRE(info != nullptr);
  BOOST_TEST(text(*info, "title") == "lamplight server API");
  BOOST_TEST(text(*info, "version") == "1");
  auto description = text(*info, "description");
  for (const char* needed :
       {"LL1-HMAC-SHA256", "nonce", "Tenancy", "404", "Error", "Lamplight-Signature",
        "Lamplight-Event-Id", "at least once", "backoff"})
    BOOST_TEST(description.find(needed) != std::string::npos, "info.description lacks " << needed);

  // One security scheme, the signed Authorization header, required globally.
  auto* scheme = at(doc, {"components", "securitySchemes", "LL1HmacSha256"});
  BOOST_TEST_REQUIRE(scheme != nullptr);
  BOOST_TEST(text(*scheme, "type") == "apiKey");
  BOOST_TEST(text(*scheme, "in") == "header");
  BOOST_TEST(text(*scheme, "name") == "Authorization");
  BOOST_TEST(!text(*scheme, "description").empty());
  auto* security = list(doc, "security");
  BOOST_TEST_REQUIRE(security != nullptr);
  BOOST_TEST_REQUIRE(security->values_size() == 1);
  BOOST_TEST(keys(&security->values(0).struct_value()) == strings{"LL1HmacSha256"});
}

BOOST_AUTO_TEST_CASE(every_api_message_has_its_schema) {
  const auto* file = lamplight::api::v1::Classroom::descriptor()->file();
  BOOST_TEST_REQUIRE(file->package() == "lamplight.api.v1");
  BOOST_TEST_REQUIRE(file->message_type_count() > 0);
  strings messages;
  std::function<void(const pb::Descriptor*)> walk = [&](const pb::Descriptor* d) {
    // Nested messages (none yet) by their name within the package.
    auto name = d->full_name().substr(file->package().size() + 1);
    messages.insert(name);
    auto* schema = object(schemas(), name);
    BOOST_TEST(schema != nullptr, "no schema " << name);
    if (schema) {
      check_message(d, *schema, name);
      // Requests: unknown fields are refused, and the document says so.
      if (name.size() > 7 && name.compare(name.size() - 7, 7, "Request") == 0) {
        auto i = schema->fields().find("additionalProperties");
        BOOST_TEST((i != schema->fields().end() && i->second.kind_case() == pb::Value::kBoolValue &&
                    !i->second.bool_value()),
                   name << ": additionalProperties must be false");
      }
    }
    for (int i = 0; i < d->nested_type_count(); ++i)
      walk(d->nested_type(i));
  };
  for (int i = 0; i < file->message_type_count(); ++i)
    walk(file->message_type(i));

  // And nothing else but the webhook body's parts.
  for (const auto& name : keys(&schemas()))
    BOOST_TEST((messages.count(name) == 1 || webhook_schemas.count(name) == 1),
               "schema " << name << " is no lamplight.api.v1 message");
}

BOOST_AUTO_TEST_CASE(enumerations_are_the_codes_words) {
  auto enum_at = [](const std::string& schema, const std::string& field) {
    auto* p = property(schema, field);
    BOOST_TEST(p != nullptr, schema << "." << field);
    return p ? enum_of(*p) : strings{};
  };
  auto modes = labels(sig::ClassroomMode_descriptor(), [](int v) {
    auto m = static_cast<sig::ClassroomMode>(v);
    return m == sig::MODE_UNSPECIFIED ? std::string{} : std::string(protocol::mode_name(m));
  });
  BOOST_TEST(modes == strings({"one_on_one", "small_group", "large_class"}));
  BOOST_TEST(enum_at("CreateClassroomRequest", "mode") == modes);
  BOOST_TEST(enum_at("Classroom", "mode") == modes);
  BOOST_TEST(enum_at("Lesson", "mode") == modes);
  for (const auto& m : modes) // what the API's parser accepts
    BOOST_TEST(protocol::mode_from_name(m) != sig::MODE_UNSPECIFIED);
  BOOST_TEST(modes == labels(sig::ClassroomMode_descriptor(), [](int v) {
               return backend::mode_label(static_cast<sig::ClassroomMode>(v));
             }));

  auto roles = labels(sig::Role_descriptor(), [](int v) {
    auto r = static_cast<sig::Role>(v);
    return r == sig::ROLE_UNSPECIFIED ? std::string{} : std::string(protocol::role_name(r));
  });
  BOOST_TEST(roles.size() == 4u);
  BOOST_TEST(enum_at("IssueTokenRequest", "role") == roles);
  BOOST_TEST(enum_at("LiveMember", "role") == roles);
  BOOST_TEST(enum_at("Attendance", "role") == roles);
  for (const auto& r : roles)
    BOOST_TEST(protocol::role_from_name(r) != sig::ROLE_UNSPECIFIED);
  BOOST_TEST(roles == labels(sig::Role_descriptor(),
                             [](int v) { return backend::role_label(static_cast<sig::Role>(v)); }));

  BOOST_TEST(enum_at("LiveTrack", "kind") == labels(sig::TrackKind_descriptor(), [](int v) {
               return backend::track_kind_label(static_cast<sig::TrackKind>(v));
             }));
  BOOST_TEST(enum_at("LiveTrack", "source") == labels(sig::TrackSource_descriptor(), [](int v) {
               return backend::track_source_label(static_cast<sig::TrackSource>(v));
             }));
  // A live classroom's calls are the ones not yet ended.
  auto phases = labels(sig::CallPhase_descriptor(), [](int v) {
    auto p = static_cast<sig::CallPhase>(v);
    return p == sig::CALL_PHASE_ENDED ? std::string{} : backend::call_phase_label(p);
  });
  BOOST_TEST(enum_at("LiveCall", "phase") == phases);

  auto providers = enum_at("Classroom", "provider");
  BOOST_TEST(providers == strings({"sfu", "janus"}));
  auto requested = providers;
  requested.insert(""); // the node's default
  BOOST_TEST(enum_at("CreateClassroomRequest", "provider") == requested);

  // Error.code: protocol::errc's names, every one but "none".
  auto codes = labels(sig::ErrorCode_descriptor(), [](int v) {
    auto e = protocol::from_proto(static_cast<sig::ErrorCode>(v));
    return e == protocol::errc::none ? std::string{} : std::string(protocol::to_string(e));
  });
  BOOST_TEST(codes.size() ==
             static_cast<std::size_t>(sig::ErrorCode_descriptor()->value_count() - 1));
  BOOST_TEST(enum_at("Error", "code") == codes);
}

BOOST_AUTO_TEST_CASE(webhook_bodies_are_the_events) {
  // The event types the code has, and which classroom events announce them.
  strings types;
  for (auto t : backend::all_webhook_event_types)
    types.insert(backend::to_string(t));
  BOOST_TEST(types.size() == backend::all_webhook_event_types.size());
  strings announced_kinds; // ClassroomEvent's oneof fields, as JSON names
  strings announced_types;
  const auto* event = sig::ClassroomEvent::descriptor();
  const auto* kind = event->FindOneofByName("kind");
  BOOST_TEST_REQUIRE(kind != nullptr);
  for (int i = 0; i < kind->field_count(); ++i) {
    const auto* f = kind->field(i);
    sig::ClassroomEvent ev;
    ev.GetReflection()->MutableMessage(&ev, f);
    if (ev.has_call()) // a call is announced when it ends
      ev.mutable_call()->mutable_call()->set_phase(sig::CALL_PHASE_ENDED);
    if (auto type = backend::webhook_type_of(ev); !type.empty()) {
      announced_kinds.insert(f->json_name());
      announced_types.insert(type);
    }
  }
  // Every type but the tenant's own (quota.reached from backend::quota_guard,
  // qna.* from backend::record_question) announces a classroom event.
  auto classroom_types = types;
  for (const char* own : {"quota.reached", "qna.matched", "qna.expired"})
    classroom_types.erase(own);
  BOOST_TEST(announced_types == classroom_types);

  BOOST_TEST(enum_of(required_property("WebhookEvent", "type")) == types);
  auto subscribable = types;
  subscribable.insert(backend::webhook_all_events);
  auto* items = object(required_property("CreateWebhookRequest", "events"), "items");
  BOOST_TEST_REQUIRE(items != nullptr);
  BOOST_TEST(enum_of(*items) == subscribable);
  BOOST_TEST(keys(object(document(), "x-webhooks")) == types);

  // history_writer's event_body: {id, type, tenant, classroom, lesson, seq, at, data}.
  auto* body = object(schemas(), "WebhookEvent");
  BOOST_TEST_REQUIRE(body != nullptr);
  BOOST_TEST(keys(object(*body, "properties")) ==
             strings({"id", "type", "tenant", "classroom", "lesson", "seq", "at", "data"}));
  BOOST_TEST(text(required_property("WebhookEvent", "seq"), "type") ==
             "integer"); // written as a number
  BOOST_TEST(text(required_property("WebhookEvent", "at"), "format") == "date-time");
  BOOST_TEST(ref_of(required_property("WebhookEvent", "data")) ==
             "#/components/schemas/WebhookEventData");

  // data: the classroom event without seq and atMs, so one key per
  // announced kind, each described field for field.
  auto* data = object(schemas(), "WebhookEventData");
  BOOST_TEST_REQUIRE(data != nullptr);
  auto* data_props = object(*data, "properties");
  auto data_keys = announced_kinds;
  data_keys.insert("quotaReached");  // quota_guard's {quota, limit, used}
  data_keys.insert("qna");           // record_question's {questionId, student, ...}
  BOOST_TEST(keys(data_props) == data_keys);
  for (const auto& name : keys(data_props)) {
    if (name == "quotaReached" || name == "qna")
      continue;
    const pb::FieldDescriptor* f = nullptr;
    for (int i = 0; i < kind->field_count(); ++i)
      if (kind->field(i)->json_name() == name)
        f = kind->field(i);
    BOOST_TEST_REQUIRE(f != nullptr, "WebhookEventData." << name << " is no ClassroomEvent field");
    check_value(f, *object(*data_props, name), "WebhookEventData." + name);
  }

  // Every webhook operation: a POST of a WebhookEvent.
  if (auto* hooks = object(document(), "x-webhooks"))
    for (const auto& [type, hook] : hooks->fields()) {
      BOOST_TEST_CONTEXT("x-webhooks." << type) {
        BOOST_TEST(keys(&hook.struct_value()) == strings{"post"});
        auto* schema = at(hook.struct_value(),
                          {"post", "requestBody", "content", "application/json", "schema"});
        BOOST_TEST_REQUIRE(schema != nullptr);
        BOOST_TEST(ref_of(*schema) == "#/components/schemas/WebhookEvent");
      }
    }
}

BOOST_AUTO_TEST_CASE(paths_are_the_routes) {
  // The table is server_api.hpp's route list.
  std::string root = document_file;
  const std::string tail = "web/api/v1/openapi.json";
  BOOST_TEST_REQUIRE(root.size() > tail.size());
  BOOST_TEST_REQUIRE(root.compare(root.size() - tail.size(), tail.size(), tail) == 0);
  root.resize(root.size() - tail.size());
  std::istringstream header(read_file(root + "nodes/node/server_api.hpp"));
  strings commented;
  for (std::string line; std::getline(header, line);) {
    // "//   GET    /api/v1/lessons?classroom=&from=&to=&limit=   LessonList, ..."
    std::istringstream words(line);
    std::string slashes, method, target;
    words >> slashes >> method >> target;
    for (auto& c : method)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (slashes == "//" && http_methods.count(method) == 1 && target.rfind("/api/v1/", 0) == 0)
      commented.insert(method + " " + target.substr(0, target.find('?')));
  }
  strings table;
  for (const auto& r : routes)
    table.insert(std::string(r.method) + " " + r.path);
  BOOST_TEST(commented == table);

  auto* paths = object(document(), "paths");
  BOOST_TEST_REQUIRE(paths != nullptr);
  for (const auto& r : routes) {
    BOOST_TEST_CONTEXT(r.method << " " << r.path) {
      auto* operation = at(*paths, {r.path, r.method});
      BOOST_TEST_REQUIRE(operation != nullptr);
      auto* responses = object(*operation, "responses");
      BOOST_TEST_REQUIRE(responses != nullptr);
      BOOST_TEST(responses->fields().count(r.success) == 1u);
      BOOST_TEST(responses->fields().count("401") == 1u); // every route is signed
      for (const auto& [status, value] : responses->fields()) {
        if (status == r.success)
          continue;
        BOOST_TEST_CONTEXT(status) {
          BOOST_TEST(error_statuses.count(status) == 1u, "not a status of server_api");
          auto* resolved = response(value.struct_value());
          BOOST_TEST_REQUIRE(resolved != nullptr);
          auto* schema = at(*resolved, {"content", "application/json", "schema"});
          BOOST_TEST_REQUIRE(schema != nullptr);
          BOOST_TEST(ref_of(*schema) == "#/components/schemas/Error");
        }
      }
      // A request body is the api.v1 message the route parses.
      if (auto* body = at(*operation, {"requestBody", "content", "application/json", "schema"})) {
        auto ref = ref_of(*body);
        BOOST_TEST(ref.rfind(schema_ref_prefix, 0) == 0u);
        auto name = ref.substr(std::min(ref.size(), std::string(schema_ref_prefix).size()));
        BOOST_TEST(lamplight::api::v1::Classroom::descriptor()->file()->FindMessageTypeByName(
                       name) != nullptr,
                   name);
      }
    }
  }

  // Nothing but those (and the document itself, which needs no signature).
  for (const auto& [path, item] : paths->fields()) {
    for (const auto& [key, value] : item.struct_value().fields()) {
      if (http_methods.count(key) == 0)
        continue; // parameters, summary, ...
      if (path == openapi_path) {
        BOOST_TEST(key == "get");
        auto* security = list(value.struct_value(), "security");
        BOOST_TEST((security != nullptr && security->values_size() == 0),
                   "GET " << path << " must not need a signature");
        continue;
      }
      BOOST_TEST(table.count(key + " " + path) == 1u, key << " " << path << " is not a route");
    }
  }
  BOOST_TEST(paths->fields().count(openapi_path) == 1u);
}

BOOST_AUTO_TEST_CASE(every_reference_resolves) {
  pb::Value whole;
  *whole.mutable_struct_value() = document();
  strings refs;
  collect_refs(whole, refs);
  BOOST_TEST(!refs.empty());
  for (const auto& ref : refs) {
    BOOST_TEST_CONTEXT(ref) {
      BOOST_TEST_REQUIRE(ref.rfind("#/", 0) == 0u);
      std::vector<std::string> path;
      std::istringstream parts(ref.substr(2));
      for (std::string part; std::getline(parts, part, '/');)
        path.push_back(part);
      BOOST_TEST(at(document(), path) != nullptr, "unresolved");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

#include "sim/yaml/document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/testing/matchers.h"

namespace meshsim::sim::yaml {
namespace {

using ::meshsim::testing::IsOk;
using ::meshsim::testing::StatusIs;
using ::testing::HasSubstr;

TEST(DocumentTest, MalformedYamlNamesFileAndLine) {
  auto docs = parseString("a: 1\nb: [1, 2\n", "bad.yaml");
  EXPECT_THAT(docs, StatusIs(StatusCode::InvalidArgument, HasSubstr("bad.yaml:3")));
}

// Found by manifests_fuzz: yaml-cpp 0.7's LoadAll() loops forever, allocating, on a token that
// cannot start a document after a document ("[a],"). That is a malformed-YAML error here, at
// the token, and quickly (this test would otherwise hang until memory ran out).
TEST(DocumentTest, TokenAfterADocumentIsAnErrorNotAHang) {
  EXPECT_THAT(parseString(",", "comma.yaml"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("comma.yaml:1:1: malformed YAML: unexpected \",\"")));
  EXPECT_THAT(parseString("kind: A\n---\n{a: 1},\n", "flow.yaml", 10, 4),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("flow.yaml:12:11: malformed YAML")));
  EXPECT_THAT(parseString("[a],", "seq.yaml"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("seq.yaml:1:4: malformed YAML")));
  // Empty documents between separators still only skip.
  auto docs = parseString("kind: A\n---\n---\n...\n---\nkind: B\n", "empty.yaml");
  ASSERT_THAT(docs, IsOk());
  EXPECT_EQ(docs->size(), 2u);
}

TEST(DocumentTest, LineOffsetForEmbeddedDocuments) {
  auto docs = parseString("kind: A\n---\nkind: B\n", "scenario.yaml", 10);
  ASSERT_THAT(docs, IsOk());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[1].locate(get((*docs)[1].root, "kind")).line, 12);
}

TEST(ReaderTest, TypedFieldsAndUnknownFieldErrors) {
  auto docs = parseString("spec:\n  replicas: 3\n  name: x\n  replicaz: 4\n", "d.yaml");
  ASSERT_THAT(docs, IsOk());
  const Document& doc = docs->front();
  Reader r(doc, get(doc.root, "spec"), "spec", "Deployment default/x");
  EXPECT_EQ(*r.integer("replicas"), 3);
  EXPECT_EQ(*r.string("name"), "x");
  EXPECT_EQ(*r.string("missing", "dflt"), "dflt");
  EXPECT_THAT(r.finish(), StatusIs(StatusCode::InvalidArgument,
                                   HasSubstr("d.yaml:4:3: spec.replicaz: Deployment default/x: "
                                             "unknown field \"replicaz\"")));
}

TEST(ReaderTest, WrongTypesAreErrors) {
  auto docs = parseString("n: eighty\nm: [1]\nb: maybe\n", "t.yaml");
  ASSERT_THAT(docs, IsOk());
  Reader r(docs->front(), docs->front().root, "");
  EXPECT_THAT(r.integer("n"), StatusIs(StatusCode::InvalidArgument,
                                       HasSubstr("t.yaml:1:4: n: expected an integer")));
  EXPECT_THAT(r.string("m"), StatusIs(StatusCode::InvalidArgument, HasSubstr("t.yaml:2")));
  EXPECT_THAT(r.boolean("b"), StatusIs(StatusCode::InvalidArgument, HasSubstr("true or false")));
  EXPECT_THAT(r.requiredString("absent"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("required field is missing")));
}

TEST(ReaderTest, MissingMapsAreSafeToRead) {
  auto docs = parseString("a: 1\n", "t.yaml");
  ASSERT_THAT(docs, IsOk());
  Reader r(docs->front(), get(get(docs->front().root, "nope"), "deeper"), "nope.deeper");
  EXPECT_FALSE(r.has("x"));
  EXPECT_EQ(*r.integer("x", 5), 5);
  EXPECT_THAT(r.expectMap(), StatusIs(StatusCode::InvalidArgument, HasSubstr("missing")));
}

}  // namespace
}  // namespace meshsim::sim::yaml

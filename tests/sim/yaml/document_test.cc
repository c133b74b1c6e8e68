#include "sim/yaml/document.h"

#include <string>
#include <vector>

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

// Found by manifests_fuzz when yaml-cpp read the text: its LoadAll() looped forever, allocating,
// on a token that cannot start a document after a document ("[a],"). It is a malformed-YAML
// error at the token.
TEST(DocumentTest, TokenAfterADocumentIsAnErrorNotAHang) {
  EXPECT_THAT(parseString(",", "comma.yaml"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("comma.yaml:1:1: malformed YAML")));
  EXPECT_THAT(parseString("kind: A\n---\n{a: 1},\n", "flow.yaml", 10, 4),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("flow.yaml:12:11: malformed YAML: did not find expected "
                                 "<document start>")));
  EXPECT_THAT(parseString("[a],", "seq.yaml"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("seq.yaml:1:4: malformed YAML")));
  // Empty documents between separators still only skip.
  auto docs = parseString("kind: A\n---\n---\n...\n---\nkind: B\n", "empty.yaml");
  ASSERT_THAT(docs, IsOk());
  EXPECT_EQ(docs->size(), 2u);
}

// The tree of a document is what yaml-cpp's own loader builds from the same text, node for node:
// type, scalar, tag, style and place. Everything that reads a Document was written against it.
void expectSameTree(const YAML::Node& ours, const YAML::Node& theirs, const std::string& where) {
  ASSERT_EQ(ours.Type(), theirs.Type()) << where;
  EXPECT_EQ(ours.Tag(), theirs.Tag()) << where;
  // One difference, on purpose: an empty value ("key:" and nothing) is placed where it is missing,
  // after its indicator; yaml-cpp placed it at the next token, often on the next line.
  if (!ours.IsNull()) {
    EXPECT_EQ(ours.Mark().line, theirs.Mark().line) << where;
    EXPECT_EQ(ours.Mark().column, theirs.Mark().column) << where;
  }
  if (ours.IsScalar()) {
    EXPECT_EQ(ours.Scalar(), theirs.Scalar()) << where;
  }
  if (!ours.IsMap() && !ours.IsSequence()) {
    return;
  }
  EXPECT_EQ(ours.Style(), theirs.Style()) << where;
  ASSERT_EQ(ours.size(), theirs.size()) << where;
  auto a = ours.begin();
  auto b = theirs.begin();
  for (size_t i = 0; a != ours.end(); ++a, ++b, ++i) {
    const std::string at = where + "/" + std::to_string(i);
    if (ours.IsMap()) {
      expectSameTree(a->first, b->first, at + "(key)");
      expectSameTree(a->second, b->second, at);
    } else {
      expectSameTree(*a, *b, at);
    }
  }
}

TEST(DocumentTest, TreesAreTheOnesYamlCppBuilds) {
  const std::vector<std::string> texts = {
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: hello\n  labels: {app: hello}\n"
      "spec:\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n",
      "a: \"quoted\"\nb: 'single'\nc: plain\nd: |\n  literal\n  text\ne: >\n  folded\n  text\n",
      "nulls: [~, null, Null, NULL, '', \"null\", nil]\nempty:\nafter: 1\n",
      "tagged: !!str 80\nlocal: !thing {a: 1}\nseq: !!seq [1, 2]\nbare: !\n",
      "anchors: &a {x: 1}\nuse: *a\nlist: [*a, &b [1, 2], *b]\n",
      "- a\n- b: 1\n  c: 2\n- [x, y]\n- {p: q}\n-\n- - nested\n  - list\n",
      "{url: http://hello.com/, h: {x-a: 'b: c'}, n: 1.5, t: true}",
      "k: \"multi\n  line\"\n'quoted key': 1\n? complex\n: value\n",
      "unicode: \"caf\u00e9 \\u263A\"\nescapes: \"a\\tb\\n\"\n",
  };
  for (const auto& text : texts) {
    auto docs = parseString(text, "t.yaml");
    ASSERT_THAT(docs, IsOk()) << text;
    ASSERT_EQ(docs->size(), 1u) << text;
    expectSameTree(docs->front().root, YAML::Load(text), text);
  }
}

// libyaml reads what yaml-cpp let through: a quoted scalar that never ends, bytes that are not
// UTF-8, and an alias inside the node it names (a cycle that every walk of the tree would follow
// forever) are errors, and so is nesting deeper than any manifest goes.
TEST(DocumentTest, MalformedTextIsNamedWhereItIs) {
  EXPECT_THAT(parseString("a: 1\nb: 'open\nc: 2\n", "q.yaml"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("q.yaml:4:1: malformed YAML: found unexpected end of stream "
                                 "(while scanning a quoted scalar at line 2, column 4)")));
  EXPECT_THAT(parseString("a: 1\nb: \xff\xfe\n", "u.yaml"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("u.yaml:2:4: malformed YAML")));
  EXPECT_THAT(parseString("a: &x [1, *x]\n", "c.yaml"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("c.yaml:1:11: malformed YAML: the alias *x is inside the node it "
                                 "names")));
  EXPECT_THAT(parseString("a: *nope\n", "n.yaml"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("n.yaml:1:4: malformed YAML: the anchor \"nope\" that the alias "
                                 "*nope names is not defined")));
  EXPECT_THAT(parseString(std::string(1000, '[') + std::string(1000, ']'), "deep.yaml"), IsOk());
  EXPECT_THAT(parseString(std::string(1001, '[') + std::string(1001, ']'), "deep.yaml"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("deep.yaml:1:1001: malformed YAML: nested deeper than 1000 "
                                 "levels")));
  // The end of a text without a final line break is the end of its last line, not a line after
  // it (libyaml reads such a text as if it had one); "\r" alone breaks a line too.
  EXPECT_THAT(parseString("a: 1\nb", "end.yaml"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("end.yaml:2:2: malformed YAML: could not find expected ':'")));
  EXPECT_THAT(parseString("a: 1\rb: [", "cr.yaml"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("cr.yaml:2:5: malformed YAML")));
  EXPECT_EQ(lineBreaks("a\nb\r\nc\rd\xc2\x85"
                       "e"),
            4);
  // A later anchor of the same name is the one an alias names.
  auto docs = parseString("a: &x 1\nb: &x 2\nc: *x\n", "twice.yaml");
  ASSERT_THAT(docs, IsOk());
  EXPECT_EQ(get(docs->front().root, "c").Scalar(), "2");
}

TEST(DocumentTest, DuplicateKeysAreErrorsNamingBothPlaces) {
  EXPECT_THAT(parseString("a: 1\nb: 2\na: 3\n", "top.yaml"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("top.yaml:3:1: a: duplicate key \"a\" (first at top.yaml:1:1)")));
  // At any depth, inside lists and flow mappings, with the field path.
  const std::string nested =
      "spec:\n  traffic:\n    - name: x\n      from: ingress\n      from: pod/a\n";
  EXPECT_THAT(parseString(nested, "s.yaml"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("s.yaml:5:7: spec.traffic[0].from: duplicate key \"from\" "
                                 "(first at s.yaml:4:7)")));
  EXPECT_THAT(parseString("m: {x: 1, y: 2, x: 3}\n", "f.yaml"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("f.yaml:1:17: m.x: duplicate key")));
  // In a later document, and in text embedded in another file (lines and columns moved).
  EXPECT_THAT(parseString("a: 1\n---\nb: 1\nb: 2\n", "embedded.yaml", 10, 4),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("embedded.yaml:13:5: b: duplicate key \"b\" (first at "
                                 "embedded.yaml:12:5)")));
  // A key and the same text quoted are one key to Kubernetes (JSON keys are strings).
  EXPECT_THAT(parseString("\"80\": a\n80: b\n", "q.yaml"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("q.yaml:2:1: 80: duplicate key")));
}

TEST(DocumentTest, TheSameKeyInDifferentMappingsAndAliasesAreFine) {
  auto docs = parseString("a: {x: 1}\nb: {x: 2}\nc: &m {y: 1}\nd: *m\ne: [*m, *m]\n", "ok.yaml");
  ASSERT_THAT(docs, IsOk());
}

// A "billion laughs" document: ten aliases of ten aliases ... nine levels deep would be 10^9
// nodes if expanded. The duplicate-key check visits each mapping and list once.
TEST(DocumentTest, NestedAliasesAreCheckedOnceAndQuickly) {
  std::string text = "l0: &l0 [a, b, c, d, e, f, g, h, i, j]\n";
  for (int i = 1; i <= 9; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) {
      text += (j == 0 ? "" : ", ") + prev;
    }
    text += "]\n";
  }
  EXPECT_THAT(parseString(text, "laughs.yaml"), IsOk());
  EXPECT_THAT(parseString(text + "l9: again\n", "laughs.yaml"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("laughs.yaml:11:1: l9: duplicate key \"l9\" (first at "
                                 "laughs.yaml:10:1)")));
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

// forEachDocument reads a document at a time and must see what parseString sees: the same
// documents, where they are, and the same errors at the same places.
TEST(DocumentTest, OneDocumentAtATimeReadsWhatTheWholeTextReads) {
  const std::vector<std::string> texts = {
      "a: 1\n---\nb: 2\n---\n\n# c\nc:\n  d: [1, 2]\n",
      "---\na: 1\n--- \nb: |\n  text\n---\n---\nc: 3\n...\n---\nd: 4",
      "x: |\n  inside\n---\ny: after the block\n",  // a marker ends a block scalar
      "%YAML 1.2\n---\na: 1\n---\nb: 2\n",          // a directive: read whole
      "a: 1\n---\nb: 2\n---\nc: [1, 2\n",           // an error in the third document
      "a: 1\n---\nb: 2\n---\nc: 1\nc: 2\n",         // a duplicate key in the third
      "----\na: 1\n---x: 2\n",                      // not markers
  };
  for (const auto& text : texts) {
    const auto whole = parseString(text, "f.yaml", 3, 2);
    std::vector<std::string> seen;
    const Status each = forEachDocument(
        text, "f.yaml",
        [&](const Document& doc) {
          seen.push_back(doc.locate(doc.root).toString() + " " + YAML::Dump(doc.root));
          return okStatus();
        },
        3, 2);
    if (!whole.ok()) {
      EXPECT_EQ(each.message(), whole.status().message()) << text;
      continue;
    }
    ASSERT_THAT(each, IsOk()) << text;
    ASSERT_EQ(seen.size(), whole->size()) << text;
    for (size_t i = 0; i < seen.size(); ++i) {
      const Document& doc = (*whole)[i];
      EXPECT_EQ(seen[i], doc.locate(doc.root).toString() + " " + YAML::Dump(doc.root)) << text;
    }
  }
}

TEST(DocumentTest, OneDocumentAtATimeStopsAtTheFirstError) {
  int calls = 0;
  const Status s = forEachDocument("a: 1\n---\nb: 2\n", "f.yaml", [&](const Document&) {
    ++calls;
    return invalidArgumentError("stop");
  });
  EXPECT_THAT(s, StatusIs(StatusCode::InvalidArgument, HasSubstr("stop")));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace meshsim::sim::yaml

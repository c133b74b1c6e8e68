#include "sim/telemetry/metric_query.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <re2/re2.h>

namespace meshsim::sim::telemetry {

struct Matcher {
  enum class Op { Eq, Ne, Re, Nre };
  std::string label;
  Op op = Op::Eq;
  std::string value;
  std::shared_ptr<const re2::RE2> re;  // for =~ and !~, anchored like PromQL

  bool matches(const Labels& labels, const std::string& name) const {
    const std::string* v = nullptr;
    static const std::string kEmpty;
    if (label == "__name__") {
      v = &name;
    } else {
      for (const auto& [k, val] : labels) {
        if (k == label) {
          v = &val;
          break;
        }
      }
    }
    const std::string& actual = v != nullptr ? *v : kEmpty;  // absent label == empty value
    switch (op) {
      case Op::Eq:
        return actual == value;
      case Op::Ne:
        return actual != value;
      case Op::Re:
        return re2::RE2::FullMatch(actual, *re);
      case Op::Nre:
        return !re2::RE2::FullMatch(actual, *re);
    }
    return false;
  }
};

struct MetricQuery::Node {
  enum class Kind { Selector, Aggregate };
  Kind kind = Kind::Selector;
  // Selector
  std::string metric;
  std::vector<Matcher> matchers;
  // Aggregate
  std::string op;
  std::vector<std::string> by;
  bool without = false;
  std::shared_ptr<const Node> arg;
};

namespace {

using Node = MetricQuery::Node;

class Parser {
public:
  explicit Parser(const std::string& text) : text_(text) {}

  StatusOr<std::shared_ptr<const Node>> parseAll() {
    MESHSIM_ASSIGN_OR_RETURN(auto node, parseExpr());
    skipSpace();
    if (pos_ != text_.size()) {
      return error("unexpected '" + std::string(1, text_[pos_]) + "' after the expression");
    }
    return node;
  }

private:
  Status error(const std::string& message) const {
    return invalidArgumentError("metric query: column " + std::to_string(pos_ + 1) + ": " +
                                message + "\n  " + text_ + "\n  " + std::string(pos_, ' ') + "^");
  }

  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) {
      ++pos_;
    }
  }

  bool consume(char c) {
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::string identifier() {
    skipSpace();
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':') {
        ++pos_;
      } else {
        break;
      }
    }
    return text_.substr(start, pos_ - start);
  }

  StatusOr<std::string> stringLiteral() {
    skipSpace();
    if (pos_ >= text_.size() || (text_[pos_] != '"' && text_[pos_] != '\'')) {
      return error("expected a quoted string");
    }
    const char quote = text_[pos_++];
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (c == '\\' && pos_ < text_.size()) {
        c = text_[pos_++];
        if (c == 'n') {
          c = '\n';
        } else if (c == 't') {
          c = '\t';
        }
      }
      out += c;
    }
    if (pos_ >= text_.size()) {
      return error("unterminated string");
    }
    ++pos_;
    return out;
  }

  StatusOr<std::vector<std::string>> labelList() {
    std::vector<std::string> out;
    if (!consume('(')) {
      return error("expected '(' and a list of labels");
    }
    if (consume(')')) {
      return out;
    }
    while (true) {
      std::string l = identifier();
      if (l.empty()) {
        return error("expected a label name");
      }
      out.push_back(std::move(l));
      if (consume(')')) {
        return out;
      }
      if (!consume(',')) {
        return error("expected ',' or ')'");
      }
    }
  }

  StatusOr<std::shared_ptr<const Node>> parseExpr() {
    skipSpace();
    const size_t start = pos_;
    const std::string name = identifier();
    if (name.empty()) {
      return error("expected a metric name or an aggregation (sum, count, min, max, avg)");
    }
    static const char* const kAggregations[] = {"sum", "count", "min", "max", "avg"};
    const bool is_agg =
        std::find_if(std::begin(kAggregations), std::end(kAggregations),
                     [&](const char* a) { return name == a; }) != std::end(kAggregations);
    skipSpace();
    if (is_agg && pos_ < text_.size() &&
        (text_[pos_] == '(' || text_[pos_] == 'b' || text_[pos_] == 'w')) {
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::Aggregate;
      node->op = name;
      const auto grouping = [&]() -> Status {
        const size_t save = pos_;
        const std::string kw = identifier();
        if (kw == "by" || kw == "without") {
          node->without = kw == "without";
          MESHSIM_ASSIGN_OR_RETURN(node->by, labelList());
        } else {
          pos_ = save;
        }
        return okStatus();
      };
      MESHSIM_RETURN_IF_ERROR(grouping());
      if (!consume('(')) {
        return error("expected '(' after " + name);
      }
      MESHSIM_ASSIGN_OR_RETURN(node->arg, parseExpr());
      if (!consume(')')) {
        return error("expected ')'");
      }
      if (node->by.empty() && !node->without) {
        MESHSIM_RETURN_IF_ERROR(grouping());
      }
      return std::shared_ptr<const Node>(node);
    }
    if (is_agg && pos_ >= text_.size()) {
      pos_ = start;
    }
    auto node = std::make_shared<Node>();
    node->metric = name;
    if (consume('{')) {
      while (!consume('}')) {
        skipSpace();
        const std::string label = identifier();
        if (label.empty()) {
          return error("expected a label name");
        }
        skipSpace();
        Matcher m;
        m.label = label;
        if (text_.compare(pos_, 2, "=~") == 0) {
          m.op = Matcher::Op::Re;
          pos_ += 2;
        } else if (text_.compare(pos_, 2, "!~") == 0) {
          m.op = Matcher::Op::Nre;
          pos_ += 2;
        } else if (text_.compare(pos_, 2, "!=") == 0) {
          m.op = Matcher::Op::Ne;
          pos_ += 2;
        } else if (text_.compare(pos_, 1, "=") == 0) {
          m.op = Matcher::Op::Eq;
          pos_ += 1;
        } else {
          return error("expected one of =, !=, =~, !~");
        }
        const size_t value_pos = pos_;
        MESHSIM_ASSIGN_OR_RETURN(m.value, stringLiteral());
        if (m.op == Matcher::Op::Re || m.op == Matcher::Op::Nre) {
          auto re = std::make_shared<re2::RE2>(m.value, re2::RE2::Quiet);
          if (!re->ok()) {
            pos_ = value_pos;
            return error("invalid regular expression: " + re->error());
          }
          m.re = std::move(re);
        }
        node->matchers.push_back(std::move(m));
        if (consume('}')) {
          break;
        }
        if (!consume(',')) {
          return error("expected ',' or '}'");
        }
      }
    }
    return std::shared_ptr<const Node>(node);
  }

  const std::string& text_;
  size_t pos_ = 0;
};

std::vector<Sample> eval(const Node& node, const std::vector<Sample>& samples) {
  if (node.kind == Node::Kind::Selector) {
    std::vector<Sample> out;
    for (const auto& s : samples) {
      if (s.name != node.metric) {
        continue;
      }
      const bool all = std::all_of(node.matchers.begin(), node.matchers.end(),
                                   [&](const Matcher& m) { return m.matches(s.labels, s.name); });
      if (all) {
        out.push_back(s);
      }
    }
    return out;
  }
  const std::vector<Sample> in = eval(*node.arg, samples);
  // Group key: the kept labels in the order given by `by` (or the remaining ones for without).
  std::map<Labels, std::vector<double>> groups;
  for (const auto& s : in) {
    Labels key;
    if (node.without) {
      for (const auto& l : s.labels) {
        if (std::find(node.by.begin(), node.by.end(), l.first) == node.by.end()) {
          key.push_back(l);
        }
      }
    } else {
      for (const auto& b : node.by) {
        for (const auto& l : s.labels) {
          if (l.first == b) {
            key.push_back(l);
          }
        }
      }
    }
    groups[key].push_back(s.value);
  }
  std::vector<Sample> out;
  for (const auto& [key, values] : groups) {
    double v = 0;
    if (node.op == "sum" || node.op == "avg") {
      for (double x : values) {
        v += x;
      }
      if (node.op == "avg") {
        v /= static_cast<double>(values.size());
      }
    } else if (node.op == "count") {
      v = static_cast<double>(values.size());
    } else if (node.op == "min") {
      v = *std::min_element(values.begin(), values.end());
    } else if (node.op == "max") {
      v = *std::max_element(values.begin(), values.end());
    }
    out.push_back(Sample{"", key, v});
  }
  return out;
}

}  // namespace

StatusOr<MetricQuery> MetricQuery::parse(const std::string& text) {
  Parser parser(text);
  MESHSIM_ASSIGN_OR_RETURN(auto root, parser.parseAll());
  MetricQuery q;
  q.text_ = text;
  q.root_ = std::move(root);
  return q;
}

std::vector<Sample> MetricQuery::evaluate(const std::vector<Sample>& samples) const {
  return eval(*root_, samples);
}

StatusOr<double> MetricQuery::evaluateScalar(const std::vector<Sample>& samples) const {
  const std::vector<Sample> result = evaluate(samples);
  if (result.empty()) {
    return 0.0;
  }
  if (result.size() > 1) {
    return invalidArgumentError("metric query " + text_ + " returns " +
                                std::to_string(result.size()) +
                                " series; aggregate them, e.g. sum(...)");
  }
  return result.front().value;
}

}  // namespace meshsim::sim::telemetry

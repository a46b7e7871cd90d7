// A small JSON Schema (draft 2020-12) checker for docs/sockit-json.schema.json: the keywords
// that schema uses and nothing more. Any other keyword is reported as a problem, so the schema
// cannot grow a rule that this checker would silently skip. (Debian's python3-jsonschema would
// do the whole draft, but is one more package for CI to install and one more interpreter to
// run per document; the subset below is all the schema needs.)
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace sockit::test {

class SchemaChecker {
 public:
  explicit SchemaChecker(nlohmann::json root) : root_(std::move(root)) {}

  /// Loads a schema file; an unreadable file leaves a checker that reports that on every call.
  static SchemaChecker load(const std::string& path) {
    std::ifstream in(path);
    nlohmann::json root = nlohmann::json::parse(in, nullptr, false);
    return SchemaChecker(std::move(root));
  }

  /// Problems of `value` against the definition `def` ("" = the root schema), one per line;
  /// empty when it conforms.
  std::vector<std::string> check(const nlohmann::json& value, const std::string& def = "") const {
    std::vector<std::string> problems;
    if (root_.is_discarded() || !root_.is_object()) return {"the schema file is not JSON"};
    const nlohmann::json* schema = &root_;
    if (!def.empty()) schema = resolve("#/$defs/" + def, problems);
    if (schema != nullptr) walk(*schema, value, "$", problems);
    return problems;
  }

 private:
  const nlohmann::json* resolve(const std::string& ref, std::vector<std::string>& problems) const {
    const std::string prefix = "#/$defs/";
    if (ref.rfind(prefix, 0) == 0) {
      const auto& defs = root_["$defs"];
      const auto it = defs.find(ref.substr(prefix.size()));
      if (it != defs.end()) return &*it;
    }
    problems.push_back("unknown $ref " + ref);
    return nullptr;
  }

  static bool has_type(const nlohmann::json& v, const std::string& t) {
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    if (t == "integer") return v.is_number_integer();
    if (t == "number") return v.is_number();
    return false;
  }

  void walk(const nlohmann::json& s, const nlohmann::json& v, const std::string& at,
            std::vector<std::string>& out) const {
    static const std::set<std::string> kKnown = {
        "$schema", "$id",     "title",      "description", "$defs", "$ref",
        "type",    "enum",    "properties", "required",    "items", "additionalProperties",
        "minimum", "maximum", "anyOf"};
    for (const auto& [key, _] : s.items()) {
      if (!kKnown.contains(key)) out.push_back(at + ": schema keyword " + key + " is not checked");
    }
    if (s.contains("$ref")) {
      if (const auto* target = resolve(s["$ref"].get<std::string>(), out))
        walk(*target, v, at, out);
    }
    if (s.contains("type")) {
      const auto& t = s["type"];
      bool ok = false;
      for (const auto& one : t.is_array() ? t : nlohmann::json::array({t}))
        ok = ok || has_type(v, one.get<std::string>());
      if (!ok) out.push_back(at + ": " + v.dump() + " is not of type " + t.dump());
    }
    if (s.contains("enum")) {
      bool found = false;
      for (const auto& e : s["enum"])
        found = found || e == v;
      if (!found) out.push_back(at + ": " + v.dump() + " is not one of " + s["enum"].dump());
    }
    if (v.is_number() && s.contains("minimum") && v.get<double>() < s["minimum"].get<double>())
      out.push_back(at + ": " + v.dump() + " is below " + s["minimum"].dump());
    if (v.is_number() && s.contains("maximum") && v.get<double>() > s["maximum"].get<double>())
      out.push_back(at + ": " + v.dump() + " is above " + s["maximum"].dump());
    if (s.contains("anyOf")) {
      bool any = false;
      for (const auto& option : s["anyOf"]) {
        std::vector<std::string> sub;
        walk(option, v, at, sub);
        any = any || sub.empty();
      }
      if (!any) out.push_back(at + ": " + v.dump().substr(0, 200) + " matches no anyOf branch");
    }
    if (v.is_object()) walk_object(s, v, at, out);
    if (v.is_array() && s.contains("items")) {
      for (std::size_t i = 0; i < v.size(); ++i)
        walk(s["items"], v[i], at + "[" + std::to_string(i) + "]", out);
    }
  }

  void walk_object(const nlohmann::json& s, const nlohmann::json& v, const std::string& at,
                   std::vector<std::string>& out) const {
    const nlohmann::json props = s.value("properties", nlohmann::json::object());
    for (const auto& name : s.value("required", nlohmann::json::array())) {
      if (!v.contains(name.get<std::string>())) out.push_back(at + ": missing " + name.dump());
    }
    for (const auto& [key, item] : v.items()) {
      if (props.contains(key)) {
        walk(props[key], item, at + "." + key, out);
      } else if (s.value("additionalProperties", true) == false) {
        out.push_back(at + ": unexpected field " + key);
      }
    }
  }

  nlohmann::json root_;
};

}  // namespace sockit::test

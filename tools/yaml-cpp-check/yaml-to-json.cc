// Loads each YAML file with yaml-cpp and prints it as JSON, one line per file, converting scalars the way Envoy's
// MessageUtil::loadFromYaml does (source/common/protobuf/yaml_utility.cc, parseYamlNode): a quoted scalar (tag "!")
// is a string; else a bool if yaml-cpp decodes one, else an int64 (a number within int32, else its decimal string),
// else the scalar's text as a string. Null is null. Errors print "ERROR <file>: <what>".
#include <yaml-cpp/yaml.h>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <limits>
#include <string>

static void str(const std::string& s, std::string& out) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); out += b; }
        else out += static_cast<char>(c);
    }
  }
  out += '"';
}

static void emit(const YAML::Node& n, std::string& out) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      out += "{";
      bool first = true;
      for (auto it = n.begin(); it != n.end(); ++it) {
        if (!first) out += ",";
        first = false;
        str(it->first.as<std::string>(), out);
        out += ":";
        emit(it->second, out);
      }
      out += "}";
      break;
    }
    case YAML::NodeType::Sequence: {
      out += "[";
      bool first = true;
      for (auto it = n.begin(); it != n.end(); ++it) {
        if (!first) out += ",";
        first = false;
        emit(*it, out);
      }
      out += "]";
      break;
    }
    case YAML::NodeType::Scalar: {
      if (n.Tag() == "!") { str(n.as<std::string>(), out); break; }
      bool b;
      if (YAML::convert<bool>::decode(n, b)) { out += b ? "true" : "false"; break; }
      int64_t i;
      if (YAML::convert<int64_t>::decode(n, i)) {
        if (i >= std::numeric_limits<int32_t>::min() && i <= std::numeric_limits<int32_t>::max()) out += std::to_string(i);
        else str(std::to_string(i), out);
        break;
      }
      str(n.as<std::string>(), out);
      break;
    }
    case YAML::NodeType::Null: out += "null"; break;
    default: throw std::runtime_error("undefined node");
  }
}

int main(int argc, char** argv) {
  int status = 0;
  for (int i = 1; i < argc; i++) {
    try {
      YAML::Node doc = YAML::LoadFile(argv[i]);
      std::string s;
      emit(doc, s);
      std::cout << s << "\n";
    } catch (const std::exception& e) {
      std::cout << "ERROR " << argv[i] << ": " << e.what() << "\n";
      status = 1;
    }
  }
  return status;
}

// kvgate_ring: prints the member kvgate::sdk::ketama_ring picks for each
// object name read from stdin (one "/<bucket>/<key>" per line), one member
// name per line. tests/integration/test_scale_out.py compares it with nginx.
//   kvgate_ring --member 127.0.0.1:9001 --member 127.0.0.1:9002,weight=2 [--down NAME]
#include <CLI/CLI.hpp>
#include <charconv>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "kvgate/sdk/ketama_ring.h"

int main(int argc, char** argv) {
  CLI::App app{"kvgate_ring: owners of object names on nginx's consistent-hash ring"};
  std::vector<std::string> member_args;
  std::vector<std::string> down_args;
  app.add_option("--member", member_args, "host:port[,weight=N], in the proxy's order")->required();
  app.add_option("--down", down_args, "a member name that is down");
  CLI11_PARSE(app, argc, argv);

  const std::set<std::string> down(down_args.begin(), down_args.end());
  std::vector<kvgate::sdk::ring_member> members;
  for (const auto& arg : member_args) {
    kvgate::sdk::ring_member m;
    const auto comma = arg.find(',');
    m.name = arg.substr(0, comma);
    if (comma != std::string::npos) {
      const std::string option = arg.substr(comma + 1);
      unsigned weight = 0;
      const char* first = option.data() + 7;
      const char* last = option.data() + option.size();
      if (!option.starts_with("weight=") ||
          std::from_chars(first, last, weight).ec != std::errc() || weight == 0) {
        std::cerr << "kvgate_ring: bad member " << arg << "\n";
        return 2;
      }
      m.weight = weight;
    }
    m.down = down.contains(m.name);
    members.push_back(std::move(m));
  }
  const kvgate::sdk::ketama_ring ring(std::move(members));
  std::string line;
  std::string out;
  while (std::getline(std::cin, line)) {
    const auto owner = ring.owner(line);
    out += owner ? ring.members()[*owner].name : std::string("-");
    out += '\n';
    if (out.size() > (1u << 16)) {
      std::cout << out;
      out.clear();
    }
  }
  std::cout << out << std::flush;
  return 0;
}

// Prints what an ssh host string names, using only @ssh_socket_proxy//parser.
//   bazel run //:describe -- vsock/0x10 22   ->  vsock cid=16 port=22

#include <cstdio>

#include "parser/target.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: describe HOST PORT\n");
    return 2;
  }
  auto target = sshproxy::parser::ParseTarget(argv[1], argv[2]);
  if (!target.ok()) {
    std::fprintf(stderr, "%s\n", std::string(target.status().message()).c_str());
    return 2;
  }
  std::printf("%s\n", sshproxy::parser::DescribeTarget(*target).c_str());
  return 0;
}

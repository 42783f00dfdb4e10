// Copyright 2026 The ssh-socket-proxy Authors.
//
// ssh-socket-proxy-libvirt: the qemu/ lookup helper (libvirt/helper.h). It
// lives next to ssh-socket-proxy, which runs it only for qemu/ host strings.

#include "libvirt/helper.h"

int main(int argc, char** argv) { return sshproxy::libvirt::HelperMain(argc, argv); }

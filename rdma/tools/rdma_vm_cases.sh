# Guest cases for tests/rdma_vm/run.sh: kvgate_rdma_selftest on rxe0's
# address (the verbs transport against the client connection, 32 MiB GET and
# PUT). The binary dlopens libibverbs/librdmacm, so they are brought in
# through rping's library closure:
#   bash tests/rdma_vm/run.sh --bin build-rdma/kvgate_rdma_selftest --tool rping \
#     --guest rdma/tools/rdma_vm_cases.sh
# shellcheck shell=dash
rdma_selftest() {
  kvgate_rdma_selftest "$VM_IP" 7471 33554432
}
run_case rdma_selftest 240 rdma_selftest

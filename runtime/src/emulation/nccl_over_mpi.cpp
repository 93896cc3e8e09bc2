// NCCL over MPI: the subset of the NCCL 2.28 C API that Quilt's NCCL
// communicator uses, implemented with MPI on host memory (an emulated device),
// so that the whole NCCL code path runs in CPU-only CI under mpirun.
//
// Semantics the communicator may rely on:
//  - The emulated device is synchronous: outside a group every call has
//    completed when it returns; stream arguments are ignored.
//  - Inside ncclGroupStart/End (nesting counted) calls are queued. At the
//    outermost ncclGroupEnd all queued sends and receives are posted at once
//    (receives first), then the queued collectives run in issue order as
//    blocking MPI collectives, then the transfers are waited for together.
//    Argument errors are returned by the call itself; the op is not queued.
//  - Sends and receives between one pair of ranks of one communicator match in
//    issue order, as in NCCL: all of them use one tag on the communicator's own
//    MPI communicator, and MPI does not let messages overtake.
//  - A receive must get exactly the bytes it posted; anything else (which NCCL
//    turns into a hang or corruption) prints one line and aborts the job.
//  - Sends to and receives from the caller itself are local copies, matched in
//    issue order within the group; an unmatched one aborts like a mismatch.
//  - ncclCommInitRank is collective over MPI_COMM_WORLD: every world rank must
//    call it at the same time (ranks sharing a unique id form one communicator).
//    ncclCommInitRank and ncclCommSplit run at once, even inside a group.
#include <nccl.h>

#include <mpi.h>

#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

struct ncclComm {
  MPI_Comm mpi;
  int rank;
  int size;
};

namespace {

// The single point-to-point tag: with one tag per communicator, the order of
// messages between two ranks is MPI's non-overtaking order, i.e. issue order.
constexpr int kPointToPointTag = 2809;

char gLastError[512] = "";
uint64_t gMessagesPosted = 0;

ncclResult_t fail(ncclResult_t code, const char *format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(gLastError, sizeof gLastError, format, args);
  va_end(args);
  return code;
}

// The checker's verdict: NCCL would hang or corrupt memory, so stop the job.
[[noreturn]] void abortJob(const char *format, ...) {
  char line[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  std::fprintf(stderr, "quilt: error: nccl shim: %s\n", line);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

#define RETURN_IF_ERROR(expr)                                                                      \
  do {                                                                                             \
    ncclResult_t result_ = (expr);                                                                 \
    if (result_ != ncclSuccess)                                                                    \
      return result_;                                                                              \
  } while (0)

struct ElementType {
  size_t bytes = 0;
  MPI_Datatype mpi = MPI_BYTE;
};

// The checks every data-moving call shares; fills in the element type.
ncclResult_t checkCall(const char *call, ncclComm_t comm, ncclDataType_t datatype, size_t count,
                       std::initializer_list<const void *> buffers, ElementType *type) {
  if (!comm)
    return fail(ncclInvalidArgument, "%s: NULL communicator", call);
  // Indexed by ncclDataType_t; zero bytes: not supported by the shim.
  static const ElementType types[] = {
      {1, MPI_INT8_T}, {1, MPI_UINT8_T}, {4, MPI_INT32_T}, {}, {8, MPI_INT64_T}, {}, {},
      {4, MPI_FLOAT},  {8, MPI_DOUBLE}};
  if (datatype < 0 || size_t(datatype) >= std::size(types) || types[datatype].bytes == 0)
    return fail(ncclInvalidArgument, "%s: unsupported datatype %d", call, int(datatype));
  *type = types[datatype];
  // MPI counts are ints; every call passes at most count * size bytes as one.
  if (count > size_t(INT_MAX) / type->bytes)
    return fail(ncclInvalidArgument, "%s: %zu elements exceed the shim's 2 GiB limit", call, count);
  for (const void *buffer : buffers)
    if (!buffer && count > 0)
      return fail(ncclInvalidArgument, "%s: NULL buffer with count %zu", call, count);
  return ncclSuccess;
}

ncclResult_t checkRank(const char *call, const char *name, int rank, ncclComm_t comm) {
  if (rank < 0 || rank >= comm->size)
    return fail(ncclInvalidArgument, "%s: %s %d is not a rank of a communicator of %d", call, name,
                rank, comm->size);
  return ncclSuccess;
}

ncclResult_t checkOp(const char *call, ncclRedOp_t op, MPI_Op *mpiOp) {
  static const MPI_Op ops[] = {MPI_SUM, MPI_PROD, MPI_MAX, MPI_MIN}; // ncclSum .. ncclMin
  if (op < 0 || size_t(op) >= std::size(ops))
    return fail(ncclInvalidArgument, "%s: unsupported reduction op %d", call, int(op));
  *mpiOp = ops[op];
  return ncclSuccess;
}

// MPI forbids the aliasing NCCL allows for in-place calls: such an input is
// read from a copy in `staged`.
const void *unaliasedInput(const void *input, size_t inputBytes, const void *output,
                           size_t outputBytes, std::vector<char> &staged) {
  auto at = [](const void *p) { return reinterpret_cast<uintptr_t>(p); };
  if (at(input) >= at(output) + outputBytes || at(output) >= at(input) + inputBytes)
    return input;
  staged.assign(static_cast<const char *>(input), static_cast<const char *>(input) + inputBytes);
  return staged.data();
}

struct Transfer {
  bool isSend;
  ncclComm_t comm;
  int peer;
  void *buffer;
  size_t bytes;
  size_t opIndex; // position in its group, for the checker's message
};

// NCCL's group state is per thread.
struct GroupState {
  int depth = 0;
  size_t queuedOps = 0;
  std::vector<std::function<ncclResult_t()>> collectives;
  std::vector<Transfer> transfers;
};
thread_local GroupState gGroup;

// Self sends and receives never touch MPI: the k-th receive from itself on a
// communicator copies from the k-th send to itself on it.
void copySelfTransfers(const std::vector<Transfer> &transfers) {
  std::vector<bool> used(transfers.size(), false);
  for (const Transfer &recv : transfers) {
    if (recv.isSend || recv.peer != recv.comm->rank)
      continue;
    size_t match = 0;
    while (match < transfers.size() &&
           (used[match] || !transfers[match].isSend || transfers[match].comm != recv.comm ||
            transfers[match].peer != recv.comm->rank))
      ++match;
    if (match == transfers.size())
      abortJob("rank %d receives from itself with no matching send to itself (group op #%zu)",
               recv.comm->rank, recv.opIndex);
    const Transfer &send = transfers[match];
    used[match] = true;
    if (send.bytes != recv.bytes)
      abortJob("rank %d received %zu bytes from peer %d where %zu were posted (group op #%zu)",
               recv.comm->rank, send.bytes, recv.peer, recv.bytes, recv.opIndex);
    if (recv.bytes > 0)
      std::memmove(recv.buffer, send.buffer, recv.bytes);
  }
  for (size_t i = 0; i < transfers.size(); ++i)
    if (transfers[i].isSend && transfers[i].peer == transfers[i].comm->rank && !used[i])
      abortJob("rank %d sends to itself with no matching receive from itself (group op #%zu)",
               transfers[i].comm->rank, transfers[i].opIndex);
}

struct PostedTransfers {
  std::vector<MPI_Request> requests;
  std::vector<const Transfer *> transfers; // the transfer of each request
};

std::string mpiErrorText(int error) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(error, text, &length);
  return std::string(text, size_t(length));
}

PostedTransfers postTransfers(const std::vector<Transfer> &transfers) {
  copySelfTransfers(transfers);
  PostedTransfers posted;
  // Receives first, so every message finds its buffer already posted.
  for (bool sends : {false, true})
    for (const Transfer &t : transfers) {
      if (t.isSend != sends || t.peer == t.comm->rank)
        continue;
      MPI_Request request;
      int rc = sends ? MPI_Isend(t.buffer, int(t.bytes), MPI_BYTE, t.peer, kPointToPointTag,
                                 t.comm->mpi, &request)
                     : MPI_Irecv(t.buffer, int(t.bytes), MPI_BYTE, t.peer, kPointToPointTag,
                                 t.comm->mpi, &request);
      if (rc != MPI_SUCCESS)
        abortJob("rank %d could not post a %s with peer %d (group op #%zu): %s", t.comm->rank,
                 sends ? "send" : "receive", t.peer, t.opIndex, mpiErrorText(rc).c_str());
      posted.requests.push_back(request);
      posted.transfers.push_back(&t);
    }
  for (const Transfer &t : transfers)
    gMessagesPosted += t.isSend ? 1 : 0;
  return posted;
}

// The pairing checker: every receive got exactly the bytes it posted.
void completeTransfers(PostedTransfers &posted) {
  std::vector<MPI_Status> statuses(posted.requests.size());
  int rc = MPI_Waitall(int(posted.requests.size()), posted.requests.data(), statuses.data());
  for (size_t i = 0; i < posted.transfers.size(); ++i) {
    const Transfer &t = *posted.transfers[i];
    int error = rc == MPI_ERR_IN_STATUS ? statuses[i].MPI_ERROR : rc;
    int errorClass = MPI_SUCCESS;
    if (error != MPI_SUCCESS)
      MPI_Error_class(error, &errorClass);
    if (errorClass == MPI_ERR_PENDING) // not completed because another request failed
      continue;
    if (errorClass != MPI_SUCCESS && errorClass != MPI_ERR_TRUNCATE)
      abortJob("rank %d: a %s with peer %d failed (group op #%zu): %s", t.comm->rank,
               t.isSend ? "send" : "receive", t.peer, t.opIndex, mpiErrorText(error).c_str());
    if (t.isSend)
      continue;
    int received = MPI_UNDEFINED;
    MPI_Get_count(&statuses[i], MPI_BYTE, &received);
    if (errorClass == MPI_ERR_TRUNCATE && (received < 0 || size_t(received) <= t.bytes))
      abortJob("rank %d received more than %zu bytes from peer %d where %zu were posted "
               "(group op #%zu)",
               t.comm->rank, t.bytes, t.peer, t.bytes, t.opIndex);
    if (received < 0 || size_t(received) != t.bytes)
      abortJob("rank %d received %d bytes from peer %d where %zu were posted (group op #%zu)",
               t.comm->rank, received, t.peer, t.bytes, t.opIndex);
  }
}

// Transfers are posted before the collectives run and completed after them, so
// a rank inside a collective still progresses a peer's pending transfer (as
// NCCL's concurrent kernels would).
ncclResult_t runQueuedOps() {
  std::vector<std::function<ncclResult_t()>> collectives = std::move(gGroup.collectives);
  std::vector<Transfer> transfers = std::move(gGroup.transfers);
  gGroup = GroupState{};
  PostedTransfers posted = postTransfers(transfers);
  ncclResult_t firstError = ncclSuccess;
  for (auto &collective : collectives) {
    ncclResult_t result = collective();
    if (firstError == ncclSuccess)
      firstError = result;
  }
  completeTransfers(posted);
  return firstError;
}

ncclResult_t mpiResult(int rc, const char *what) {
  if (rc == MPI_SUCCESS)
    return ncclSuccess;
  return fail(ncclSystemError, "%s failed: %s", what, mpiErrorText(rc).c_str());
}

// Outside a group a call is a group of one, run before returning.
ncclResult_t submitCollective(std::function<ncclResult_t()> collective) {
  ++gGroup.queuedOps;
  gGroup.collectives.push_back(std::move(collective));
  return gGroup.depth == 0 ? runQueuedOps() : ncclSuccess;
}

ncclResult_t submitTransfer(bool isSend, const void *buffer, size_t count, ncclDataType_t datatype,
                            int peer, ncclComm_t comm) {
  const char *call = isSend ? "ncclSend" : "ncclRecv";
  ElementType type;
  RETURN_IF_ERROR(checkCall(call, comm, datatype, count, {buffer}, &type));
  RETURN_IF_ERROR(checkRank(call, "peer", peer, comm));
  gGroup.transfers.push_back(
      {isSend, comm, peer, const_cast<void *>(buffer), count * type.bytes, gGroup.queuedOps++});
  return gGroup.depth == 0 ? runQueuedOps() : ncclSuccess;
}

// Wraps a fresh MPI communicator; errors come back to the shim, which reports
// them as NCCL results or as the checker's one-line abort.
ncclComm_t wrapCommunicator(MPI_Comm mpi) {
  MPI_Comm_set_errhandler(mpi, MPI_ERRORS_RETURN);
  ncclComm_t comm = new ncclComm{mpi, 0, 0};
  MPI_Comm_rank(mpi, &comm->rank);
  MPI_Comm_size(mpi, &comm->size);
  return comm;
}

} // namespace

// Test hook: the ncclSend operations this process has executed (sends to self
// included); queued sends count when their group runs.
extern "C" uint64_t quiltNcclShimMessages(void) { return gMessagesPosted; }

ncclResult_t ncclGetVersion(int *version) {
  if (!version)
    return fail(ncclInvalidArgument, "ncclGetVersion: NULL version");
  *version = NCCL_VERSION_CODE;
  return ncclSuccess;
}

const char *ncclGetErrorString(ncclResult_t result) {
  static const char *const texts[] = {"no error",
                                      "unhandled cuda error",
                                      "unhandled system error",
                                      "internal error",
                                      "invalid argument",
                                      "invalid usage",
                                      "remote process exited or there was a network error",
                                      "NCCL operation in progress"};
  return result >= 0 && size_t(result) < std::size(texts) ? texts[result] : "unknown result code";
}

const char *ncclGetLastError(ncclComm_t) { return gLastError; }

// The id is a tag, not an address: the caller broadcasts it, and the ranks
// passing equal ids to ncclCommInitRank end up in one communicator.
ncclResult_t ncclGetUniqueId(ncclUniqueId *uniqueId) {
  if (!uniqueId)
    return fail(ncclInvalidArgument, "ncclGetUniqueId: NULL uniqueId");
  static uint64_t idsIssued = 0;
  int worldRank = 0, mpiReady = 0;
  MPI_Initialized(&mpiReady);
  if (mpiReady)
    MPI_Comm_rank(MPI_COMM_WORLD, &worldRank);
  std::memset(uniqueId, 0, sizeof *uniqueId);
  std::snprintf(uniqueId->internal, sizeof uniqueId->internal, "quilt-nccl-shim:%d:%llu", worldRank,
                static_cast<unsigned long long>(++idsIssued));
  return ncclSuccess;
}

ncclResult_t ncclCommInitRank(ncclComm_t *newcomm, int nranks, ncclUniqueId commId, int rank) {
  int mpiReady = 0;
  MPI_Initialized(&mpiReady);
  if (!mpiReady)
    return fail(ncclInvalidUsage, "ncclCommInitRank: MPI is not initialized");
  if (newcomm)
    *newcomm = nullptr;
  // Invalid arguments still join the split (as MPI_UNDEFINED), so that the
  // other ranks fail instead of hanging.
  bool argumentsValid = newcomm && nranks > 0 && rank >= 0 && rank < nranks;
  uint32_t hash = 2166136261u; // FNV-1a of the id: a non-negative MPI color
  for (char byte : commId.internal)
    hash = (hash ^ uint8_t(byte)) * 16777619u;
  MPI_Comm mpi = MPI_COMM_NULL;
  RETURN_IF_ERROR(
      mpiResult(MPI_Comm_split(MPI_COMM_WORLD,
                               argumentsValid ? int(hash & 0x7fffffff) : MPI_UNDEFINED, rank, &mpi),
                "ncclCommInitRank: MPI_Comm_split"));
  if (!argumentsValid)
    return fail(ncclInvalidArgument, "ncclCommInitRank: rank %d of %d ranks", rank, nranks);
  ncclComm_t comm = wrapCommunicator(mpi);
  // All members agree: nranks ranks joined, each with a distinct rank.
  int consistent = comm->size == nranks && comm->rank == rank;
  MPI_Allreduce(MPI_IN_PLACE, &consistent, 1, MPI_INT, MPI_MIN, comm->mpi);
  if (!consistent) {
    int joined = comm->size;
    ncclCommDestroy(comm);
    return fail(ncclInvalidArgument,
                "ncclCommInitRank: %d ranks joined with this unique id for a communicator of %d "
                "ranks, or two passed the same rank",
                joined, nranks);
  }
  *newcomm = comm;
  return ncclSuccess;
}

ncclResult_t ncclCommSplit(ncclComm_t comm, int color, int key, ncclComm_t *newcomm,
                           ncclConfig_t *) {
  if (!comm)
    return fail(ncclInvalidArgument, "ncclCommSplit: NULL communicator");
  if (newcomm)
    *newcomm = nullptr;
  bool argumentsValid = newcomm && (color >= 0 || color == NCCL_SPLIT_NOCOLOR);
  bool joins = argumentsValid && color != NCCL_SPLIT_NOCOLOR;
  MPI_Comm mpi = MPI_COMM_NULL;
  RETURN_IF_ERROR(mpiResult(MPI_Comm_split(comm->mpi, joins ? color : MPI_UNDEFINED, key, &mpi),
                            "ncclCommSplit: MPI_Comm_split"));
  if (!argumentsValid)
    return fail(ncclInvalidArgument, "ncclCommSplit: color %d", color);
  if (mpi != MPI_COMM_NULL)
    *newcomm = wrapCommunicator(mpi);
  return ncclSuccess;
}

ncclResult_t ncclCommDestroy(ncclComm_t comm) {
  if (!comm)
    return fail(ncclInvalidArgument, "ncclCommDestroy: NULL communicator");
  MPI_Comm_free(&comm->mpi);
  delete comm;
  return ncclSuccess;
}

ncclResult_t ncclCommAbort(ncclComm_t comm) { return ncclCommDestroy(comm); }

ncclResult_t ncclCommFinalize(ncclComm_t comm) {
  return comm ? ncclSuccess : fail(ncclInvalidArgument, "ncclCommFinalize: NULL communicator");
}

namespace {
ncclResult_t queryComm(const char *call, const ncclComm_t comm, int *out, int value) {
  if (!comm || !out)
    return fail(ncclInvalidArgument, "%s: NULL argument", call);
  *out = value;
  return ncclSuccess;
}
} // namespace

ncclResult_t ncclCommCount(const ncclComm_t comm, int *count) {
  return queryComm("ncclCommCount", comm, count, comm ? comm->size : 0);
}

ncclResult_t ncclCommUserRank(const ncclComm_t comm, int *rank) {
  return queryComm("ncclCommUserRank", comm, rank, comm ? comm->rank : 0);
}

ncclResult_t ncclCommCuDevice(const ncclComm_t comm, int *device) {
  return queryComm("ncclCommCuDevice", comm, device, 0);
}

ncclResult_t ncclCommGetAsyncError(ncclComm_t comm, ncclResult_t *asyncError) {
  if (!comm || !asyncError)
    return fail(ncclInvalidArgument, "ncclCommGetAsyncError: NULL argument");
  *asyncError = ncclSuccess; // every failure is reported synchronously
  return ncclSuccess;
}

ncclResult_t ncclGroupStart() {
  ++gGroup.depth;
  return ncclSuccess;
}

ncclResult_t ncclGroupEnd() {
  if (gGroup.depth == 0)
    return fail(ncclInvalidUsage, "ncclGroupEnd without ncclGroupStart");
  return --gGroup.depth == 0 ? runQueuedOps() : ncclSuccess;
}

ncclResult_t ncclSend(const void *sendbuff, size_t count, ncclDataType_t datatype, int peer,
                      ncclComm_t comm, cudaStream_t) {
  return submitTransfer(true, sendbuff, count, datatype, peer, comm);
}

ncclResult_t ncclRecv(void *recvbuff, size_t count, ncclDataType_t datatype, int peer,
                      ncclComm_t comm, cudaStream_t) {
  return submitTransfer(false, recvbuff, count, datatype, peer, comm);
}

ncclResult_t ncclAllReduce(const void *sendbuff, void *recvbuff, size_t count,
                           ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm, cudaStream_t) {
  ElementType type;
  MPI_Op mpiOp = MPI_OP_NULL;
  RETURN_IF_ERROR(checkCall("ncclAllReduce", comm, datatype, count, {sendbuff, recvbuff}, &type));
  RETURN_IF_ERROR(checkOp("ncclAllReduce", op, &mpiOp));
  return submitCollective([=] {
    const void *input = sendbuff == recvbuff ? MPI_IN_PLACE : sendbuff;
    return mpiResult(MPI_Allreduce(input, recvbuff, int(count), type.mpi, mpiOp, comm->mpi),
                     "MPI_Allreduce");
  });
}

ncclResult_t ncclAllGather(const void *sendbuff, void *recvbuff, size_t sendcount,
                           ncclDataType_t datatype, ncclComm_t comm, cudaStream_t) {
  ElementType type;
  RETURN_IF_ERROR(
      checkCall("ncclAllGather", comm, datatype, sendcount, {sendbuff, recvbuff}, &type));
  return submitCollective([=] {
    int bytes = int(sendcount * type.bytes);
    // NCCL's in-place form is MPI's: the input already sits at its block.
    bool inPlace = sendbuff == static_cast<char *>(recvbuff) + size_t(comm->rank) * bytes;
    return mpiResult(MPI_Allgather(inPlace ? MPI_IN_PLACE : sendbuff, bytes, MPI_BYTE, recvbuff,
                                   bytes, MPI_BYTE, comm->mpi),
                     "MPI_Allgather");
  });
}

ncclResult_t ncclReduceScatter(const void *sendbuff, void *recvbuff, size_t recvcount,
                               ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm,
                               cudaStream_t) {
  ElementType type;
  MPI_Op mpiOp = MPI_OP_NULL;
  RETURN_IF_ERROR(
      checkCall("ncclReduceScatter", comm, datatype, recvcount, {sendbuff, recvbuff}, &type));
  RETURN_IF_ERROR(checkOp("ncclReduceScatter", op, &mpiOp));
  return submitCollective([=] {
    size_t blockBytes = recvcount * type.bytes;
    std::vector<char> staged;
    const void *input =
        unaliasedInput(sendbuff, blockBytes * comm->size, recvbuff, blockBytes, staged);
    return mpiResult(
        MPI_Reduce_scatter_block(input, recvbuff, int(recvcount), type.mpi, mpiOp, comm->mpi),
        "MPI_Reduce_scatter_block");
  });
}

ncclResult_t ncclBroadcast(const void *sendbuff, void *recvbuff, size_t count,
                           ncclDataType_t datatype, int root, ncclComm_t comm, cudaStream_t) {
  ElementType type;
  // sendbuff is read on the root only.
  RETURN_IF_ERROR(checkCall("ncclBroadcast", comm, datatype, count, {recvbuff}, &type));
  RETURN_IF_ERROR(checkRank("ncclBroadcast", "root", root, comm));
  RETURN_IF_ERROR(checkCall("ncclBroadcast", comm, datatype, count,
                            {comm->rank == root ? sendbuff : recvbuff}, &type));
  return submitCollective([=] {
    size_t bytes = count * type.bytes;
    if (comm->rank == root && sendbuff != recvbuff && bytes > 0)
      std::memmove(recvbuff, sendbuff, bytes);
    return mpiResult(MPI_Bcast(recvbuff, int(bytes), MPI_BYTE, root, comm->mpi), "MPI_Bcast");
  });
}

ncclResult_t ncclReduce(const void *sendbuff, void *recvbuff, size_t count, ncclDataType_t datatype,
                        ncclRedOp_t op, int root, ncclComm_t comm, cudaStream_t) {
  ElementType type;
  MPI_Op mpiOp = MPI_OP_NULL;
  // recvbuff is written on the root only.
  RETURN_IF_ERROR(checkCall("ncclReduce", comm, datatype, count, {sendbuff}, &type));
  RETURN_IF_ERROR(checkOp("ncclReduce", op, &mpiOp));
  RETURN_IF_ERROR(checkRank("ncclReduce", "root", root, comm));
  RETURN_IF_ERROR(checkCall("ncclReduce", comm, datatype, count,
                            {comm->rank == root ? recvbuff : sendbuff}, &type));
  return submitCollective([=] {
    bool inPlace = comm->rank == root && sendbuff == recvbuff;
    return mpiResult(MPI_Reduce(inPlace ? MPI_IN_PLACE : sendbuff, recvbuff, int(count), type.mpi,
                                mpiOp, root, comm->mpi),
                     "MPI_Reduce");
  });
}

ncclResult_t ncclAlltoAll(const void *sendbuff, void *recvbuff, size_t count,
                          ncclDataType_t datatype, ncclComm_t comm, cudaStream_t) {
  ElementType type;
  RETURN_IF_ERROR(checkCall("ncclAlltoAll", comm, datatype, count, {sendbuff, recvbuff}, &type));
  return submitCollective([=] {
    size_t blockBytes = count * type.bytes, totalBytes = blockBytes * comm->size;
    std::vector<char> staged;
    const void *input = unaliasedInput(sendbuff, totalBytes, recvbuff, totalBytes, staged);
    return mpiResult(MPI_Alltoall(input, int(blockBytes), MPI_BYTE, recvbuff, int(blockBytes),
                                  MPI_BYTE, comm->mpi),
                     "MPI_Alltoall");
  });
}

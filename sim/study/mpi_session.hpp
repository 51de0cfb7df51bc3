// The process's MPI session (internal to the study module): whether commsim was launched by
// mpirun/srun, and MPI initialised once, at the first use, and finalised at exit. Used by the study
// runner (runs farmed to ranks) and by one run over ranks (distributed_run.cpp).
#pragma once
#ifdef COMMSIM_WITH_MPI
#include <mpi.h>

#include <cstdlib>
#include <cstring>

namespace commsim::mpi_detail {

inline bool launched_by_mpi() {
  if (const char* off = std::getenv("COMMSIM_NO_MPI"); off && *off && std::strcmp(off, "0") != 0) return false;
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(name)) return true;
  return false;
}

struct MpiSession {
  int rank = 0, size = 1, local_size = 1;
  MpiSession() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &local_size);
    MPI_Comm_free(&local);
  }
  ~MpiSession() { MPI_Finalize(); }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

// MPI is initialised at the first study or run of the process and finalised at its exit: a
// process may run several studies in turn (commsim calibrate runs one per evaluation), and MPI may
// be initialised only once.
inline MpiSession& mpi_session() {
  static MpiSession session;
  return session;
}

}  // namespace commsim::mpi_detail
#endif

// HDF5 output (see hdf5_output.hpp and docs/output-format.md). The only file that includes HDF5.
//
// Every HDF5 call is checked; failures become RuntimeFailure naming the file and the step, with the
// innermost message of HDF5's error stack (e.g. "errno = 28, error message = 'No space left on
// device'"). HDF5's automatic error printing is turned off. Strings (attributes and datasets) are
// variable-length UTF-8. Numbers are stored little-endian with fixed widths whatever the host.
// The serial HDF5 library is not thread-safe: one Hdf5Output is used by one thread at a time.
#include "sim/io/hdf5_output.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <type_traits>
#include <utility>

#include "commsim/version.hpp"
#include "sim/core/error.hpp"

namespace commsim {

namespace {

namespace fs = std::filesystem;

constexpr int kFormatVersion = 1;
constexpr const char* kFormatName = "commsim-output";

void silence_hdf5_errors() {
  static const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

// The most specific message on HDF5's error stack (the place where the error was first detected),
// or "" when the stack is empty. Clears the stack.
std::string hdf5_error_detail() {
  std::string innermost;
  auto walk = [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
    if (n == 0 && err && err->desc) *static_cast<std::string*>(data) = err->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &innermost);
  H5Eclear2(H5E_DEFAULT);
  // System errors carry "... errno = 28, error message = 'No space left on device', buf = ...":
  // keep just the message.
  const std::string marker = "error message = '";
  const size_t at = innermost.find(marker);
  if (at != std::string::npos) {
    const size_t begin = at + marker.size();
    const size_t end = innermost.find('\'', begin);
    if (end != std::string::npos) innermost = innermost.substr(begin, end - begin);
  }
  for (char& ch : innermost)
    if (ch == '\n') ch = ' ';
  constexpr size_t kMaxDetail = 400;
  if (innermost.size() > kMaxDetail) innermost = innermost.substr(0, kMaxDetail) + "...";
  return innermost;
}

// Where HDF5 calls go: the file's name for messages and, for the writer, its open file, so that a
// failure can make the file safe to close (see abandon()).
struct Sink {
  std::string name;
  hid_t file = -1;  // the writer's file; -1 for readers
  bool broken = false;
  Sink(std::string name_) : name(std::move(name_)) {}  // NOLINT: readers pass a path
};

// After a failed write (no space, I/O error), HDF5 1.10 cannot close the file cleanly: each
// object whose close fails to flush leaves a dangling identifier, and the library then crashes at
// exit. The partial file is being abandoned anyway, so point its descriptor at an anonymous
// in-memory file: the closes that follow write their cached metadata there and succeed. (Reads
// of earlier data would see zeros, but closing only writes; raw data is never cached, see
// write_dataset.)
void abandon(Sink& sink) {
  if (sink.broken || sink.file < 0) return;
  sink.broken = true;
  void* handle = nullptr;
  H5Eclear2(H5E_DEFAULT);
  if (H5Fget_vfd_handle(sink.file, H5P_DEFAULT, &handle) < 0 || handle == nullptr) return;
  const int fd = *static_cast<int*>(handle);
  const int scratch = ::memfd_create("commsim-abandoned-output", MFD_CLOEXEC);
  if (scratch < 0) return;
  ::dup2(scratch, fd);
  ::close(scratch);
  H5Eclear2(H5E_DEFAULT);
}

[[noreturn]] void fail(const Sink& file, const std::string& what) {
  std::string message = "HDF5 output '" + file.name + "': cannot " + what;
  const std::string detail = hdf5_error_detail();
  if (!detail.empty()) message += " (" + detail + ")";
  abandon(const_cast<Sink&>(file));
  throw RuntimeFailure(message);
}

// An owned HDF5 identifier. close() reports failure (closing a dataset or file writes cached data,
// so it can fail for lack of space); the destructor closes silently on the error path.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)), closer_(other.closer_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, -1);
      closer_ = other.closer_;
    }
    return *this;
  }
  ~Handle() { reset(); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }  // NOLINT(google-explicit-constructor): used in H5 calls
  bool valid() const { return id_ >= 0; }
  herr_t close() {
    if (id_ < 0) return 0;
    const herr_t status = closer_(id_);
    id_ = -1;
    return status;
  }
  void reset() {
    if (id_ >= 0) {
      closer_(id_);
      id_ = -1;
      H5Eclear2(H5E_DEFAULT);
    }
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Checked constructors of handles: throw naming `file` and `what` on failure.
Handle checked(hid_t id, Handle::Closer closer, const Sink& file, const std::string& what) {
  if (id < 0) fail(file, what);
  return Handle(id, closer);
}
void check(herr_t status, const Sink& file, const std::string& what) {
  if (status < 0) fail(file, what);
}
void close_checked(Handle& handle, const Sink& file, const std::string& what) {
  check(handle.close(), file, what);
}

// Type mapping: memory type (native) and file type (fixed width, little-endian).
template <class T>
struct H5Types;
template <>
struct H5Types<uint8_t> {
  static hid_t mem() { return H5T_NATIVE_UINT8; }
  static hid_t file() { return H5T_STD_U8LE; }
};
template <>
struct H5Types<int32_t> {
  static hid_t mem() { return H5T_NATIVE_INT32; }
  static hid_t file() { return H5T_STD_I32LE; }
};
template <>
struct H5Types<uint32_t> {
  static hid_t mem() { return H5T_NATIVE_UINT32; }
  static hid_t file() { return H5T_STD_U32LE; }
};
template <>
struct H5Types<int64_t> {
  static hid_t mem() { return H5T_NATIVE_INT64; }
  static hid_t file() { return H5T_STD_I64LE; }
};
template <>
struct H5Types<uint64_t> {
  static hid_t mem() { return H5T_NATIVE_UINT64; }
  static hid_t file() { return H5T_STD_U64LE; }
};
template <>
struct H5Types<float> {
  static hid_t mem() { return H5T_NATIVE_FLOAT; }
  static hid_t file() { return H5T_IEEE_F32LE; }
};
template <>
struct H5Types<double> {
  static hid_t mem() { return H5T_NATIVE_DOUBLE; }
  static hid_t file() { return H5T_IEEE_F64LE; }
};

// Variable-length UTF-8 string type (owned).
Handle vlen_string_type(const Sink& file) {
  Handle type = checked(H5Tcopy(H5T_C_S1), H5Tclose, file, "create a string type");
  check(H5Tset_size(type, H5T_VARIABLE), file, "create a string type");
  check(H5Tset_cset(type, H5T_CSET_UTF8), file, "create a string type");
  return type;
}

Handle scalar_space(const Sink& file) {
  return checked(H5Screate(H5S_SCALAR), H5Sclose, file, "create a dataspace");
}

Handle simple_space(const std::vector<hsize_t>& dims, const Sink& file) {
  return checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, file,
                 "create a dataspace");
}

void delete_attribute_if_present(hid_t obj, const char* name, const Sink& file) {
  const htri_t exists = H5Aexists(obj, name);
  if (exists < 0) fail(file, std::string("query attribute '") + name + "'");
  if (exists > 0) check(H5Adelete(obj, name), file, std::string("replace attribute '") + name + "'");
}

void write_string_attribute(hid_t obj, const char* name, const std::string& value, const Sink& file) {
  delete_attribute_if_present(obj, name, file);
  Handle type = vlen_string_type(file);
  Handle space = scalar_space(file);
  const std::string what = std::string("write attribute '") + name + "'";
  Handle attr = checked(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, file, what);
  const char* data = value.c_str();
  check(H5Awrite(attr, type, &data), file, what);
  close_checked(attr, file, what);
}

template <class T>
void write_scalar_attribute(hid_t obj, const char* name, T value, const Sink& file) {
  delete_attribute_if_present(obj, name, file);
  Handle space = scalar_space(file);
  const std::string what = std::string("write attribute '") + name + "'";
  Handle attr = checked(H5Acreate2(obj, name, H5Types<T>::file(), space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                        file, what);
  check(H5Awrite(attr, H5Types<T>::mem(), &value), file, what);
  close_checked(attr, file, what);
}

// Metadata every dataset carries: its units and a one-line description.
struct Meta {
  const char* units;
  const char* description;
};

void annotate(hid_t dataset, const Meta& meta, const Sink& file) {
  write_string_attribute(dataset, "units", meta.units, file);
  write_string_attribute(dataset, "description", meta.description, file);
}

// Dataset creation property list: chunked + shuffle + gzip(1) when `chunk` is given and no
// dimension is empty; contiguous otherwise.
Handle dataset_plist(const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk, const Sink& file,
                     const std::string& what) {
  Handle dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, file, what);
  // No modification times in object headers: the same results give byte-identical files.
  check(H5Pset_obj_track_times(dcpl, 0), file, what);
  bool any_empty = false;
  for (hsize_t d : dims) any_empty = any_empty || d == 0;
  if (!chunk.empty() && !any_empty) {
    check(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), file, what);
    check(H5Pset_shuffle(dcpl), file, what);
    check(H5Pset_deflate(dcpl, 1), file, what);
  }
  return dcpl;
}

template <class T>
void write_dataset(hid_t loc, const char* name, const std::vector<hsize_t>& dims, const T* data, const Meta& meta,
                   const Sink& file, const std::vector<hsize_t>& chunk = {}) {
  static_assert(std::is_arithmetic_v<T>);
  const std::string what = std::string("write dataset '") + name + "'";
  Handle space = simple_space(dims, file);
  Handle dcpl = dataset_plist(dims, chunk, file, what);
  // No chunk cache: whole chunks go to the file inside H5Dwrite, so that closing the dataset
  // writes no raw data and cannot fail for lack of space (see abandon()).
  Handle dapl = checked(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose, file, what);
  check(H5Pset_chunk_cache(dapl, 0, 0, 1.0), file, what);
  Handle dset = checked(H5Dcreate2(loc, name, H5Types<T>::file(), space, H5P_DEFAULT, dcpl, dapl), H5Dclose, file,
                        what);
  hsize_t count = 1;
  for (hsize_t d : dims) count *= d;
  if (count > 0) check(H5Dwrite(dset, H5Types<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data), file, what);
  annotate(dset, meta, file);
  close_checked(dset, file, what);
}

template <class T>
void write_vector(hid_t loc, const char* name, const std::vector<T>& values, const Meta& meta,
                  const Sink& file) {
  write_dataset(loc, name, {values.size()}, values.data(), meta, file);
}

void write_strings(hid_t loc, const char* name, const std::vector<std::string>& values, const char* description,
                   const Sink& file) {
  const std::string what = std::string("write dataset '") + name + "'";
  Handle type = vlen_string_type(file);
  Handle space = simple_space({values.size()}, file);
  Handle dcpl = dataset_plist({values.size()}, {}, file, what);
  Handle dset = checked(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, file, what);
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& v : values) pointers.push_back(v.c_str());
  if (!values.empty()) check(H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), file, what);
  write_string_attribute(dset, "description", description, file);
  close_checked(dset, file, what);
}

Handle create_group(hid_t loc, const std::string& name, const Sink& file) {
  Handle lcpl = checked(H5Pcreate(H5P_LINK_CREATE), H5Pclose, file, "create group '" + name + "'");
  check(H5Pset_create_intermediate_group(lcpl, 1), file, "create group '" + name + "'");
  Handle gcpl = checked(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, file, "create group '" + name + "'");
  check(H5Pset_obj_track_times(gcpl, 0), file, "create group '" + name + "'");
  return checked(H5Gcreate2(loc, name.c_str(), lcpl, gcpl, H5P_DEFAULT), H5Gclose, file,
                 "create group '" + name + "' (does it exist already?)");
}

// Gathers one field over a range of structs into a contiguous vector.
template <class T, class S, class F>
std::vector<T> column(const std::vector<S>& rows, F field) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(static_cast<T>(field(row)));
  return out;
}

void require(bool condition, const Sink& file, const std::string& message) {
  if (!condition) throw RuntimeFailure("HDF5 output '" + file.name + "': inconsistent run result: " + message);
}

void validate(const RunResult& run, const Sink& file) {
  const size_t communities = run.communities.size();
  const size_t services = run.service_names.size();
  const size_t roles = run.role_names.size();
  const size_t uses = run.facility_use_names.size();
  require(run.service_totals.size() == communities * services, file,
          "service_totals has " + std::to_string(run.service_totals.size()) + " entries, expected communities (" +
              std::to_string(communities) + ") x services (" + std::to_string(services) + ")");
  require(run.role_totals.size() == communities * roles, file,
          "role_totals has " + std::to_string(run.role_totals.size()) + " entries, expected communities x roles");
  for (const auto& c : run.communities) {
    require(c.staff.size() == roles, file, "community '" + c.name + "' has staff for " +
                                               std::to_string(c.staff.size()) + " roles, expected " +
                                               std::to_string(roles));
    require(c.places.size() == uses, file, "community '" + c.name + "' has places for " +
                                               std::to_string(c.places.size()) + " facility uses, expected " +
                                               std::to_string(uses));
  }
  require(run.wait_hist.size() == services || run.wait_hist.empty(), file,
          "wait_hist has " + std::to_string(run.wait_hist.size()) + " histograms, expected one per service");
  for (const auto& h : run.wait_hist)
    require(h.counts.size() == static_cast<size_t>(WaitHistogram::kBins), file, "wait histogram of wrong size");
  require(run.citywide.size() == services, file,
          "citywide has " + std::to_string(run.citywide.size()) + " services, expected " + std::to_string(services));
  require(run.citywide_roles.size() == roles, file,
          "citywide_roles has " + std::to_string(run.citywide_roles.size()) + " roles, expected " +
              std::to_string(roles));
  for (const auto& year : run.demand_by_year)
    require(year.size() == services, file, "demand_by_year row has the wrong number of services");
  const DailyRecords& d = run.daily;
  if (!d.demand.empty()) {
    require(d.communities == static_cast<int>(communities) && d.services == static_cast<int>(services) &&
                d.roles == static_cast<int>(roles) && d.days >= 0,
            file, "daily records' dimensions do not match the run");
    const size_t ns = communities * static_cast<size_t>(d.days) * services;
    const size_t nr = communities * static_cast<size_t>(d.days) * roles;
    for (const auto* v : {&d.demand, &d.served, &d.served_in_time, &d.unmet, &d.backlog})
      require(v->size() == ns, file, "daily service record of wrong size");
    for (const auto* v : {&d.wait_mean_min, &d.wait_p50_min, &d.wait_p90_min, &d.wait_max_min})
      require(v->size() == ns, file, "daily wait record of wrong size");
    for (const auto* v : {&d.available_min, &d.busy_min, &d.travel_min, &d.overhead_min, &d.overtime_min})
      require(v->size() == nr, file, "daily role record of wrong size");
  }
}

void write_communities(hid_t run_group, const RunResult& run, const Sink& file) {
  Handle g = create_group(run_group, "communities", file);
  const auto& cs = run.communities;
  const hsize_t n = cs.size();
  auto u8 = [](bool b) { return static_cast<uint8_t>(b ? 1 : 0); };

  write_strings(g, "name", column<std::string>(cs, [](const CommunityInfo& c) { return c.name; }),
                "community name", file);
  write_strings(g, "district", column<std::string>(cs, [](const CommunityInfo& c) { return c.district; }),
                "district the community belongs to", file);
  write_vector(g, "county", column<uint8_t>(cs, [&](const CommunityInfo& c) { return u8(c.county); }),
               {"1", "1 if the district is a county (rural) district"}, file);
  write_vector(g, "households", column<int64_t>(cs, [](const CommunityInfo& c) { return c.households; }),
               {"households", "households at the start of the run"}, file);
  write_vector(g, "residents", column<int64_t>(cs, [](const CommunityInfo& c) { return c.residents; }),
               {"residents", "residents at the start of the run"}, file);
  write_vector(g, "area_km2", column<double>(cs, [](const CommunityInfo& c) { return c.area_km2; }),
               {"km2", "land area"}, file);
  write_vector(g, "x_m", column<double>(cs, [](const CommunityInfo& c) { return c.x_m; }),
               {"m", "easting of the community centre"}, file);
  write_vector(g, "y_m", column<double>(cs, [](const CommunityInfo& c) { return c.y_m; }),
               {"m", "northing of the community centre"}, file);
  write_vector(g, "is_new", column<uint8_t>(cs, [&](const CommunityInfo& c) { return u8(c.is_new); }),
               {"1", "1 if a newly built community (new-build facility norms apply)"}, file);
  write_vector(g, "oversized", column<uint8_t>(cs, [&](const CommunityInfo& c) { return u8(c.oversized); }),
               {"1", "1 if above the size band (N1)"}, file);
  write_vector(g, "micro", column<uint8_t>(cs, [&](const CommunityInfo& c) { return u8(c.micro); }),
               {"1", "1 if below the size band (N1)"}, file);
  write_vector(g, "committee_residents",
               column<int32_t>(cs, [](const CommunityInfo& c) { return c.committee_residents; }),
               {"1", "residents' committee members (N3)"}, file);
  write_vector(g, "committee_party", column<int32_t>(cs, [](const CommunityInfo& c) { return c.committee_party; }),
               {"1", "party committee members (N3)"}, file);
  write_vector(g, "committee_total", column<int32_t>(cs, [](const CommunityInfo& c) { return c.committee_total; }),
               {"1", "committee members in total (N3)"}, file);
  write_vector(g, "required_community_workers",
               column<int32_t>(cs, [](const CommunityInfo& c) { return c.required_community_workers; }),
               {"1", "community workers required by the norm (N3.5)"}, file);
  write_vector(g, "facility_indoor_m2", column<double>(cs, [](const CommunityInfo& c) { return c.facility_indoor_m2; }),
               {"m2", "indoor facility area"}, file);
  write_vector(g, "facility_outdoor_m2",
               column<double>(cs, [](const CommunityInfo& c) { return c.facility_outdoor_m2; }),
               {"m2", "outdoor facility area"}, file);
  write_vector(g, "facility_activity_m2",
               column<double>(cs, [](const CommunityInfo& c) { return c.facility_activity_m2; }),
               {"m2", "activity area"}, file);
  write_vector(g, "required_indoor_m2", column<double>(cs, [](const CommunityInfo& c) { return c.required_indoor_m2; }),
               {"m2", "indoor area required by the norm (N2)"}, file);
  write_vector(g, "required_outdoor_m2",
               column<double>(cs, [](const CommunityInfo& c) { return c.required_outdoor_m2; }),
               {"m2", "outdoor area required by the norm (N2)"}, file);
  write_vector(g, "access_share", column<double>(cs, [](const CommunityInfo& c) { return c.access_share; }),
               {"share", "share of households within the access minutes of the facility (N1.5)"}, file);
  write_vector(g, "operating_funds_city_yuan",
               column<double>(cs, [](const CommunityInfo& c) { return c.operating_funds_city_yuan; }),
               {"yuan", "operating funds paid by the city over the run"}, file);
  write_vector(g, "operating_funds_district_yuan",
               column<double>(cs, [](const CommunityInfo& c) { return c.operating_funds_district_yuan; }),
               {"yuan", "operating funds paid by the district over the run"}, file);
  write_vector(g, "pay_city_yuan", column<double>(cs, [](const CommunityInfo& c) { return c.pay_city_yuan; }),
               {"yuan", "staff pay paid by the city over the run"}, file);
  write_vector(g, "pay_district_yuan", column<double>(cs, [](const CommunityInfo& c) { return c.pay_district_yuan; }),
               {"yuan", "staff pay paid by the district over the run"}, file);
  write_vector(g, "size_ok", column<uint8_t>(cs, [&](const CommunityInfo& c) { return u8(c.size_ok); }),
               {"1", "1 if the size complies with the norm (N1)"}, file);
  write_vector(g, "facility_ok", column<uint8_t>(cs, [&](const CommunityInfo& c) { return u8(c.facility_ok); }),
               {"1", "1 if the facility area complies with the norm (N2)"}, file);
  write_vector(g, "activity_ok", column<uint8_t>(cs, [&](const CommunityInfo& c) { return u8(c.activity_ok); }),
               {"1", "1 if the activity area complies with the norm (N2)"}, file);
  write_vector(g, "committee_ok", column<uint8_t>(cs, [&](const CommunityInfo& c) { return u8(c.committee_ok); }),
               {"1", "1 if the committee size complies with the norm (N3)"}, file);
  write_vector(g, "workers_ok", column<uint8_t>(cs, [&](const CommunityInfo& c) { return u8(c.workers_ok); }),
               {"1", "1 if the community worker count complies with the norm (N3.5)"}, file);

  // Per community and role / facility use.
  const hsize_t roles = run.role_names.size(), uses = run.facility_use_names.size();
  std::vector<int32_t> staff, places;
  staff.reserve(n * roles);
  places.reserve(n * uses);
  for (const auto& c : cs) {
    staff.insert(staff.end(), c.staff.begin(), c.staff.end());
    places.insert(places.end(), c.places.begin(), c.places.end());
  }
  write_dataset(g.get(), "staff", {n, roles}, staff.data(), {"1", "staff in post per role (after vacancies)"}, file);
  write_dataset(g.get(), "places", {n, uses}, places.data(), {"1", "facility places per facility use"}, file);

  // Restructuring origin: ragged, stored as a flat name list plus offsets (CSR): the origins of
  // community c are origin[origin_offset[c] : origin_offset[c + 1]].
  std::vector<std::string> origin;
  std::vector<uint64_t> offsets{0};
  for (const auto& c : cs) {
    origin.insert(origin.end(), c.origin.begin(), c.origin.end());
    offsets.push_back(origin.size());
  }
  write_strings(g, "origin", origin, "as-given communities each community was made from (see origin_offset)", file);
  write_vector(g, "origin_offset", offsets,
               {"1", "community c was made from origin[origin_offset[c]:origin_offset[c+1]]"}, file);
}

void write_totals(hid_t run_group, const RunResult& run, const Sink& file) {
  Handle g = create_group(run_group, "totals", file);
  const hsize_t n = run.communities.size(), services = run.service_names.size(), roles = run.role_names.size();
  const auto& st = run.service_totals;
  auto svc_u64 = [&](const char* name, auto field, const Meta& meta) {
    write_dataset(g.get(), name, {n, services}, column<uint64_t>(st, field).data(), meta, file);
  };
  auto svc_f64 = [&](const char* name, auto field, const Meta& meta) {
    write_dataset(g.get(), name, {n, services}, column<double>(st, field).data(), meta, file);
  };
  svc_u64("demand", [](const ServiceTotals& t) { return t.demand; },
          {"requests", "requests arrived (enrolment services: person-days wanting a place)"});
  svc_u64("served", [](const ServiceTotals& t) { return t.served; },
          {"requests", "requests started (enrolment services: enrolled person-days)"});
  svc_u64("served_in_time", [](const ServiceTotals& t) { return t.served_in_time; },
          {"requests", "requests started by the deadline (enrolment services: enrolled person-days)"});
  svc_u64("unmet", [](const ServiceTotals& t) { return t.unmet; },
          {"requests", "requests dropped at the deadline (enrolment services: waiting-list person-days)"});
  svc_u64("backlog_end", [](const ServiceTotals& t) { return t.backlog_end; },
          {"requests", "requests waiting at the end of the run"});
  svc_u64("arrivals_in_window", [](const ServiceTotals& t) { return t.arrivals_in_window; },
          {"requests", "requests arrived within the observation window"});
  svc_f64("wait_sum_min", [](const ServiceTotals& t) { return t.wait_sum_min; },
          {"minutes", "sum of the waits of served requests"});
  svc_f64("wait_max_min", [](const ServiceTotals& t) { return t.wait_max_min; },
          {"minutes", "longest wait of a served request"});
  svc_f64("queue_area_min", [](const ServiceTotals& t) { return t.queue_area_min; },
          {"minutes", "integral over time of the number waiting (request-minutes; Little's law L*T)"});
  svc_f64("wait_all_sum_min", [](const ServiceTotals& t) { return t.wait_all_sum_min; },
          {"minutes", "sum of the time every request spent in the queue, served or not"});
  svc_f64("window_min", [](const ServiceTotals& t) { return t.window_min; },
          {"minutes", "length of the observation window"});
  svc_f64("p50_wait_min", [](const ServiceTotals& t) { return t.p50_wait_min; },
          {"minutes", "median wait of served requests"});
  svc_f64("p90_wait_min", [](const ServiceTotals& t) { return t.p90_wait_min; },
          {"minutes", "90th percentile wait of served requests"});
  svc_f64("coverage", [](const ServiceTotals& t) { return t.coverage(); },
          {"share", "served_in_time / demand (1 when there was no demand)"});

  const auto& rt = run.role_totals;
  auto role_f64 = [&](const char* name, auto field, const Meta& meta) {
    write_dataset(g.get(), name, {n, roles}, column<double>(rt, field).data(), meta, file);
  };
  role_f64("available_min", [](const RoleTotals& t) { return t.available_min; },
           {"minutes", "contracted worker minutes on shift (after absence)"});
  role_f64("busy_min", [](const RoleTotals& t) { return t.busy_min; },
           {"minutes", "worker minutes serving (incl. travel)"});
  role_f64("travel_min", [](const RoleTotals& t) { return t.travel_min; }, {"minutes", "worker minutes travelling"});
  role_f64("overhead_min", [](const RoleTotals& t) { return t.overhead_min; },
           {"minutes", "worker minutes on overhead (meetings, reporting)"});
  role_f64("overtime_min", [](const RoleTotals& t) { return t.overtime_min; },
           {"minutes", "worker minutes beyond the contracted shift"});
  role_f64("reserved_min", [](const RoleTotals& t) { return t.reserved_min; },
           {"minutes", "worker minutes reserved for enrolment services (staff ratio)"});
}

void write_citywide(hid_t run_group, const RunResult& run, const Sink& file) {
  Handle g = create_group(run_group, "citywide/services", file);
  const auto& cw = run.citywide;
  write_strings(g, "name", column<std::string>(cw, [](const CitywideService& s) { return s.name; }), "service name",
                file);
  write_strings(g, "kind", column<std::string>(cw, [](const CitywideService& s) { return s.kind; }),
                "service kind: episodic | recurring | enrolment", file);
  auto u64 = [&](const char* name, auto field, const Meta& meta) {
    write_vector(g.get(), name, column<uint64_t>(cw, field), meta, file);
  };
  auto f64 = [&](const char* name, auto field, const Meta& meta) {
    write_vector(g.get(), name, column<double>(cw, field), meta, file);
  };
  u64("demand", [](const CitywideService& s) { return s.demand; }, {"requests", "requests arrived, citywide"});
  u64("served", [](const CitywideService& s) { return s.served; }, {"requests", "requests started, citywide"});
  u64("served_in_time", [](const CitywideService& s) { return s.served_in_time; },
      {"requests", "requests started by the deadline, citywide"});
  u64("unmet", [](const CitywideService& s) { return s.unmet; },
      {"requests", "requests dropped at the deadline, citywide"});
  u64("backlog_end", [](const CitywideService& s) { return s.backlog_end; },
      {"requests", "requests waiting at the end of the run, citywide"});
  f64("coverage", [](const CitywideService& s) { return s.coverage; },
      {"share", "served_in_time / demand over the city"});
  f64("coverage_resident_weighted", [](const CitywideService& s) { return s.coverage_resident_weighted; },
      {"share", "mean of community coverage weighted by residents"});
  f64("mean_wait_min", [](const CitywideService& s) { return s.mean_wait_min; },
      {"minutes", "mean wait of served requests"});
  f64("p50_wait_min", [](const CitywideService& s) { return s.p50_wait_min; },
      {"minutes", "median wait of served requests"});
  f64("p90_wait_min", [](const CitywideService& s) { return s.p90_wait_min; },
      {"minutes", "90th percentile wait of served requests"});
  f64("max_wait_min", [](const CitywideService& s) { return s.max_wait_min; },
      {"minutes", "longest wait of a served request"});
  f64("share_communities_below_target", [](const CitywideService& s) { return s.share_communities_below_target; },
      {"share", "share of communities whose coverage is below the coverage target"});
  f64("gini", [](const CitywideService& s) { return s.gini; }, {"1", "Gini index of community coverage"});
  f64("worst_decile_coverage", [](const CitywideService& s) { return s.worst_decile_coverage; },
      {"share", "mean coverage of the worst 10 % of communities"});
  close_checked(g, file, "close group 'citywide/services'");

  Handle r = create_group(run_group, "citywide/roles", file);
  const auto& cr = run.citywide_roles;
  write_strings(r, "name", column<std::string>(cr, [](const CitywideRole& x) { return x.name; }), "role name", file);
  write_vector(r.get(), "staff", column<int32_t>(cr, [](const CitywideRole& x) { return x.staff; }),
               {"1", "staff in post, citywide"}, file);
  auto rf = [&](const char* name, auto field, const Meta& meta) {
    write_vector(r.get(), name, column<double>(cr, field), meta, file);
  };
  rf("utilisation", [](const CitywideRole& x) { return x.utilisation; },
     {"share", "busy / (available - overhead - reserved)"});
  rf("overtime_share", [](const CitywideRole& x) { return x.overtime_share; }, {"share", "overtime / available"});
  rf("overhead_share", [](const CitywideRole& x) { return x.overhead_share; }, {"share", "overhead / available"});
  rf("travel_share", [](const CitywideRole& x) { return x.travel_share; }, {"share", "travel / busy"});
  rf("wisn_pressure", [](const CitywideRole& x) { return x.wisn_pressure; },
     {"1", "staff needed for the workload / staff in post (WHO WISN)"});
  rf("pay_yuan", [](const CitywideRole& x) { return x.pay_yuan; }, {"yuan", "staff pay over the run"});
}

void write_daily(hid_t run_group, const RunResult& run, const Sink& file) {
  const DailyRecords& d = run.daily;
  Handle g = create_group(run_group, "daily", file);
  const hsize_t n = static_cast<hsize_t>(d.communities), days = static_cast<hsize_t>(d.days);
  const hsize_t services = static_cast<hsize_t>(d.services), roles = static_cast<hsize_t>(d.roles);
  // One chunk per community: reading one community's history touches one chunk.
  const std::vector<hsize_t> sdims{n, days, services}, schunk{1, days, services};
  const std::vector<hsize_t> rdims{n, days, roles}, rchunk{1, days, roles};
  auto s = [&](const char* name, const auto& v, const Meta& meta) {
    write_dataset(g.get(), name, sdims, v.data(), meta, file, schunk);
  };
  auto r = [&](const char* name, const auto& v, const Meta& meta) {
    write_dataset(g.get(), name, rdims, v.data(), meta, file, rchunk);
  };
  s("demand", d.demand, {"requests", "requests arrived that day (enrolment: person-days wanting)"});
  s("served", d.served, {"requests", "requests started that day (enrolment: enrolled person-days)"});
  s("served_in_time", d.served_in_time, {"requests", "requests started by their deadline that day"});
  s("unmet", d.unmet, {"requests", "requests dropped at the deadline that day"});
  s("backlog", d.backlog, {"requests", "requests waiting at the end of the day"});
  s("wait_mean_min", d.wait_mean_min, {"minutes", "mean wait of requests started that day"});
  s("wait_p50_min", d.wait_p50_min, {"minutes", "median wait of requests started that day"});
  s("wait_p90_min", d.wait_p90_min, {"minutes", "90th percentile wait of requests started that day"});
  s("wait_max_min", d.wait_max_min, {"minutes", "longest wait of requests started that day"});
  r("available_min", d.available_min, {"minutes", "contracted worker minutes on shift that day"});
  r("busy_min", d.busy_min, {"minutes", "worker minutes serving that day (incl. travel)"});
  r("travel_min", d.travel_min, {"minutes", "worker minutes travelling that day"});
  r("overhead_min", d.overhead_min, {"minutes", "worker minutes on overhead that day"});
  r("overtime_min", d.overtime_min, {"minutes", "worker minutes beyond the shift that day"});
}

void write_histograms(hid_t run_group, const RunResult& run, const Sink& file) {
  const hsize_t services = run.wait_hist.size(), bins = WaitHistogram::kBins;
  std::vector<uint64_t> counts;
  counts.reserve(services * bins);
  for (const auto& h : run.wait_hist) counts.insert(counts.end(), h.counts.begin(), h.counts.end());
  write_dataset(run_group, "wait_histogram", {services, bins}, counts.data(),
                {"requests", "citywide waits of served requests per service and bin; bin edges in wait_histogram_edges"},
                file, {1, bins});
  std::vector<double> edges(bins + 1);
  for (int b = 0; b < WaitHistogram::kBins; ++b) edges[static_cast<size_t>(b)] = WaitHistogram::lower_edge(b);
  edges[bins] = std::numeric_limits<double>::infinity();
  write_vector(run_group, "wait_histogram_edges", edges,
               {"minutes", "bin b of wait_histogram covers [edges[b], edges[b+1]); the last bin is overflow"}, file);

  const hsize_t years = run.demand_by_year.size(), nsvc = run.service_names.size();
  std::vector<uint64_t> by_year;
  by_year.reserve(years * nsvc);
  for (const auto& y : run.demand_by_year) by_year.insert(by_year.end(), y.begin(), y.end());
  write_dataset(run_group, "demand_by_year", {years, nsvc}, by_year.data(),
                {"requests", "demand per simulated year and service, citywide"}, file);
  write_vector(run_group, "residents_by_year", run.residents_by_year,
               {"residents", "population at the start of each simulated year"}, file);
}

// ------------------------------------------------------------------------------------ reading

Handle open_for_reading(const std::string& path) {
  silence_hdf5_errors();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw RuntimeFailure("HDF5 output '" + path + "': no such file");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw RuntimeFailure("HDF5 output '" + path + "': not an HDF5 file");
  }
  return checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, path,
                 "open the file (it may be cut short)");
}

std::string read_string_attribute(hid_t obj, const char* name, const Sink& file) {
  const std::string what = std::string("read attribute '") + name + "'";
  Handle attr = checked(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, file, what);
  Handle type = checked(H5Aget_type(attr), H5Tclose, file, what);
  if (H5Tget_class(type) != H5T_STRING)
    throw RuntimeFailure("HDF5 output '" + file.name + "': attribute '" + name + "' is not a string");
  const htri_t variable = H5Tis_variable_str(type);
  if (variable < 0) fail(file, what);
  if (variable > 0) {
    Handle mem = vlen_string_type(file);
    char* data = nullptr;
    check(H5Aread(attr, mem, &data), file, what);
    std::string out = data ? data : "";
    H5free_memory(data);
    return out;
  }
  const size_t size = H5Tget_size(type);
  std::string out(size, '\0');
  Handle mem = checked(H5Tcopy(H5T_C_S1), H5Tclose, file, what);
  check(H5Tset_size(mem, size), file, what);
  check(H5Aread(attr, mem, out.data()), file, what);
  out.resize(std::strlen(out.c_str()));
  return out;
}

template <class T>
std::vector<T> read_vector(hid_t loc, const std::string& name, const Sink& file) {
  const std::string what = "read dataset '" + name + "'";
  Handle dset = checked(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose, file, what);
  Handle space = checked(H5Dget_space(dset), H5Sclose, file, what);
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  if (count < 0) fail(file, what);
  std::vector<T> out(static_cast<size_t>(count));
  if (count > 0) check(H5Dread(dset, H5Types<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), file, what);
  return out;
}

std::vector<std::string> read_strings(hid_t loc, const std::string& name, const Sink& file) {
  const std::string what = "read dataset '" + name + "'";
  Handle dset = checked(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose, file, what);
  Handle space = checked(H5Dget_space(dset), H5Sclose, file, what);
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  if (count < 0) fail(file, what);
  std::vector<std::string> out;
  if (count == 0) return out;
  Handle mem = vlen_string_type(file);
  std::vector<char*> data(static_cast<size_t>(count), nullptr);
  check(H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), file, what);
  out.reserve(data.size());
  for (char* s : data) out.emplace_back(s ? s : "");
  H5Dvlen_reclaim(mem, space, H5P_DEFAULT, data.data());
  return out;
}

// Throws unless the file carries format == "commsim-output" and complete == 1.
void require_complete(hid_t file_id, const std::string& path) {
  auto incomplete = [&](const std::string& why) {
    H5Eclear2(H5E_DEFAULT);
    return RuntimeFailure("HDF5 output '" + path + "' is not a complete commsim output: " + why);
  };
  if (H5Aexists(file_id, "format") <= 0) throw incomplete("no 'format' attribute");
  if (read_string_attribute(file_id, "format", path) != kFormatName) throw incomplete("wrong 'format'");
  if (H5Aexists(file_id, "complete") <= 0) throw incomplete("no 'complete' attribute (the run did not finish)");
  Handle attr = checked(H5Aopen(file_id, "complete", H5P_DEFAULT), H5Aclose, path, "read attribute 'complete'");
  int32_t complete = 0;
  check(H5Aread(attr, H5T_NATIVE_INT32, &complete), path, "read attribute 'complete'");
  if (complete != 1) throw incomplete("'complete' is not 1");
}

}  // namespace

// ------------------------------------------------------------------------------------ writer

struct Hdf5Output::Impl {
  Sink sink;
  Handle file;
  bool committed = false;
  bool keep_partial = false;  // keep_partial_on_close()
  explicit Impl(const std::string& partial) : sink(partial) {}
  void require_usable() const {
    if (sink.broken) throw RuntimeFailure("HDF5 output '" + sink.name + "': unusable after an earlier failure");
    if (!file.valid()) throw RuntimeFailure("HDF5 output '" + sink.name + "': already committed");
  }
};

Hdf5Output::Hdf5Output(const std::string& path, bool force)
    : impl_(std::make_unique<Impl>(path + ".partial")), path_(path), partial_path_(path + ".partial") {
  silence_hdf5_errors();
  if (path.empty()) throw InputError(SourcePos{}, "output", "the output path is empty");
  std::error_code ec;
  const fs::path target(path);
  if (fs::is_directory(target, ec)) throw InputError(SourcePos{}, "output", path + " is a directory");
  // The rename at commit would replace a device or pipe (e.g. /dev/null, as root) with the file.
  if (fs::exists(target, ec) && !fs::is_regular_file(target, ec))
    throw InputError(SourcePos{}, "output", path + " is not a regular file");
  if (fs::exists(target, ec) && !force)
    throw InputError(SourcePos{}, "output", path + " exists; use --force to overwrite");
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec))
    throw InputError(SourcePos{}, "output", "cannot write " + path + ": directory " + dir.string() + " does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw InputError(SourcePos{}, "output",
                     "cannot write " + path + ": directory " + dir.string() + " is not writable (" +
                         std::strerror(errno) + ")");
  if (fs::is_directory(partial_path_, ec))
    throw InputError(SourcePos{}, "output", partial_path_ + " is a directory");
  fs::remove(partial_path_, ec);  // a stale partial file from an earlier crash

  Sink& sink = impl_->sink;
  Handle fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, sink, "create the file");
  // Closing the file closes every object still open in it (error paths leave none dangling).
  check(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), sink, "create the file");
  // No sieve buffer: contiguous datasets go to the file inside H5Dwrite, not at close (we always
  // write whole datasets in one call, so the buffer would only add a copy).
  check(H5Pset_sieve_buf_size(fapl, 0), sink, "create the file");
  const hid_t created = H5Fcreate(partial_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  if (created < 0) {
    const std::string detail = hdf5_error_detail();
    fs::remove(partial_path_, ec);
    throw RuntimeFailure("HDF5 output '" + partial_path_ + "': cannot create the file" +
                         (detail.empty() ? "" : " (" + detail + ")"));
  }
  impl_->file = Handle(created, H5Fclose);
  sink.file = impl_->file;
  try {
    // Identify the format from the start, so even a partial file says what it is.
    write_string_attribute(impl_->file, "format", kFormatName, sink);
    write_scalar_attribute<int32_t>(impl_->file, "format_version", kFormatVersion, sink);
  } catch (...) {
    impl_->file.reset();
    fs::remove(partial_path_, ec);
    throw;
  }
}

Hdf5Output::~Hdf5Output() {
  if (!impl_ || impl_->committed) return;
  if (impl_->keep_partial && !impl_->sink.broken && impl_->file.valid()) {
    H5Fflush(impl_->file, H5F_SCOPE_GLOBAL);
    H5Eclear2(H5E_DEFAULT);
    impl_->file.reset();
    return;
  }
  abandon(impl_->sink);  // nothing more needs to reach the disk
  if (impl_->file.valid()) {
    // HDF5 1.10 can be left mid-flush by a failed write ("slist already enabled"), which makes
    // H5Fclose fail and leave a dangling identifier. A full flush (into the abandoned file) either
    // succeeds or resets that state; then the close succeeds.
    H5Fflush(impl_->file, H5F_SCOPE_GLOBAL);
    H5Eclear2(H5E_DEFAULT);
  }
  impl_->file.reset();
  std::error_code ec;
  fs::remove(partial_path_, ec);
}

void Hdf5Output::write_provenance(const Provenance& p) {
  impl_->require_usable();
  const hid_t f = impl_->file;
  const Sink& sink = impl_->sink;
  write_string_attribute(f, "scenario_name", p.scenario_name, sink);
  write_string_attribute(f, "scenario_yaml", p.scenario_yaml, sink);
  write_string_attribute(f, "scenario_file", p.scenario_file, sink);
  write_scalar_attribute<uint64_t>(f, "seed", p.seed, sink);
  write_string_attribute(f, "version", p.version, sink);
  write_string_attribute(f, "git_commit", p.git_commit, sink);
  write_string_attribute(f, "command_line", p.command_line, sink);
  if (!p.kind.empty()) write_string_attribute(f, "kind", p.kind, sink);
}

void Hdf5Output::write_run(const std::string& group, const RunResult& run) {
  impl_->require_usable();
  const Sink& file = impl_->sink;
  validate(run, file);
  Handle g = create_group(impl_->file, group, file);

  write_scalar_attribute<int32_t>(g, "replicate", run.replicate, file);
  write_scalar_attribute<uint64_t>(g, "seed", run.seed, file);
  write_scalar_attribute<int32_t>(g, "days", run.days, file);
  write_scalar_attribute<int64_t>(g, "residents", run.residents, file);
  write_scalar_attribute<int64_t>(g, "households", run.households, file);
  write_scalar_attribute<uint64_t>(g, "requests", run.requests, file);
  write_scalar_attribute<double>(g, "cost_total_yuan", run.cost_total_yuan, file);
  write_scalar_attribute<double>(g, "cost_per_resident_yuan", run.cost_per_resident_yuan, file);
  write_scalar_attribute<double>(g, "cost_per_served_yuan", run.cost_per_served_yuan, file);
  write_scalar_attribute<double>(g, "cost_city_yuan", run.cost_city_yuan, file);
  write_scalar_attribute<double>(g, "cost_district_yuan", run.cost_district_yuan, file);
  write_scalar_attribute<double>(g, "access_share", run.access_share, file);

  write_strings(g, "service_names", run.service_names, "service names; the service axis of every dataset", file);
  write_strings(g, "role_names", run.role_names, "role names; the role axis of every dataset", file);
  write_strings(g, "facility_use_names", run.facility_use_names,
                "facility use names; the second axis of communities/places", file);
  write_communities(g, run, file);
  write_totals(g, run, file);
  write_citywide(g, run, file);
  if (!run.daily.demand.empty()) write_daily(g, run, file);
  write_histograms(g, run, file);
  close_checked(g, file, "close group '" + group + "'");
}

void Hdf5Output::commit() {
  impl_->require_usable();
  const Sink& sink = impl_->sink;
  write_scalar_attribute<int32_t>(impl_->file, "complete", 1, sink);
  // Flush while the file is still open: if it fails, the close below happens on the abandoned file.
  check(H5Fflush(impl_->file, H5F_SCOPE_GLOBAL), sink, "flush the file");
  close_checked(impl_->file, sink, "close the file");
  impl_->sink.file = -1;
  // Make the bytes durable before the name says the file is finished.
  const int fd = ::open(partial_path_.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw RuntimeFailure("HDF5 output '" + partial_path_ + "': cannot sync the file to disk (" + why + ")");
  }
  ::close(fd);
  if (std::rename(partial_path_.c_str(), path_.c_str()) != 0)
    throw RuntimeFailure("HDF5 output: cannot rename '" + partial_path_ + "' to '" + path_ + "' (" +
                         std::strerror(errno) + ")");
  impl_->committed = true;
  // Make the rename durable too (best effort: not every file system allows syncing a directory).
  fs::path dir = fs::path(path_).parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// ------------------------------------------------------------------------------------ readers

StoredCitywide read_citywide(const std::string& path, const std::string& group) {
  Handle file = open_for_reading(path);
  require_complete(file, path);
  const std::string where = group + "/citywide/services";
  Handle g = checked(H5Gopen2(file, where.c_str(), H5P_DEFAULT), H5Gclose, path, "open group '" + where + "'");
  StoredCitywide out;
  out.service_names = read_strings(g, "name", path);
  out.demand = read_vector<uint64_t>(g, "demand", path);
  out.served = read_vector<uint64_t>(g, "served", path);
  out.served_in_time = read_vector<uint64_t>(g, "served_in_time", path);
  out.unmet = read_vector<uint64_t>(g, "unmet", path);
  out.coverage = read_vector<double>(g, "coverage", path);
  out.mean_wait_min = read_vector<double>(g, "mean_wait_min", path);
  out.p90_wait_min = read_vector<double>(g, "p90_wait_min", path);
  return out;
}

std::string read_root_string_attribute(const std::string& path, const std::string& name) {
  Handle file = open_for_reading(path);
  const htri_t exists = H5Aexists(file, name.c_str());
  if (exists < 0) fail(path, "read attribute '" + name + "'");
  if (exists == 0) throw RuntimeFailure("HDF5 output '" + path + "': no root attribute '" + name + "'");
  return read_string_attribute(file, name.c_str(), path);
}

bool is_complete_output(const std::string& path) {
  try {
    Handle file = open_for_reading(path);
    require_complete(file, path);
    return true;
  } catch (...) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
}

// ------------------------------------------------------------------------------------ incremental writing
// (studies: sim/study/runner.cpp). Added after the single-run writer; it does not change it.

namespace {

bool link_exists(hid_t file, const std::string& object) {
  if (object == "/" || object.empty()) return true;
  // Every prefix must exist for H5Lexists to be well defined.
  size_t at = 1;
  while (true) {
    const size_t slash = object.find('/', at);
    const std::string prefix = object.substr(0, slash);
    const htri_t e = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
    if (e <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos) return true;
    at = slash + 1;
  }
}

Handle open_object(hid_t file, const std::string& object, const Sink& sink) {
  return checked(H5Oopen(file, object.empty() ? "/" : object.c_str(), H5P_DEFAULT), H5Oclose, sink,
                 "open '" + object + "'");
}

Handle open_or_create_group(hid_t file, const std::string& object, const Sink& sink) {
  if (link_exists(file, object)) return open_object(file, object, sink);
  return create_group(file, object, sink);
}

template <class T>
T read_numeric_attribute(hid_t obj, const std::string& name, hid_t mem, const Sink& sink) {
  Handle attr = checked(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, sink, "read attribute '" + name + "'");
  T value{};
  check(H5Aread(attr, mem, &value), sink, "read attribute '" + name + "'");
  return value;
}

template <class T>
std::vector<T> read_converted(hid_t file, const std::string& dataset, hid_t mem, const Sink& sink) {
  const std::string what = "read dataset '" + dataset + "'";
  Handle dset = checked(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), H5Dclose, sink, what);
  Handle space = checked(H5Dget_space(dset), H5Sclose, sink, what);
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  if (count < 0) fail(sink, what);
  std::vector<T> out(static_cast<size_t>(count));
  if (count > 0) check(H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), sink, what);
  return out;
}

template <class T>
void write_table_impl(hid_t file, const std::string& group, const std::string& name, const std::vector<T>& values,
                      const char* units, const char* description, const std::vector<uint64_t>& dims,
                      const Sink& sink) {
  Handle g = open_or_create_group(file, group, sink);
  if (link_exists(g, name)) check(H5Ldelete(g, name.c_str(), H5P_DEFAULT), sink, "replace dataset '" + name + "'");
  std::vector<hsize_t> shape(dims.begin(), dims.end());
  if (shape.empty()) shape.push_back(values.size());
  write_dataset(g.get(), name.c_str(), shape, values.data(), Meta{units, description}, sink);
}

}  // namespace

Hdf5Output::Hdf5Output(const std::string& path, bool force, ReopenTag)
    : impl_(std::make_unique<Impl>(path + ".partial")), path_(path), partial_path_(path + ".partial") {
  silence_hdf5_errors();
  std::error_code ec;
  if (fs::exists(path, ec) && !force)
    throw InputError(SourcePos{}, "output", path + " exists; use --force to overwrite");
  if (!fs::is_regular_file(partial_path_, ec))
    throw InputError(SourcePos{}, "--resume", "no interrupted output " + partial_path_ + " to resume");
  if (H5Fis_hdf5(partial_path_.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw RuntimeFailure("HDF5 output '" + partial_path_ + "': not an HDF5 file (cannot resume; rerun without --resume)");
  }
  Sink& sink = impl_->sink;
  Handle fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, sink, "open the file");
  check(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), sink, "open the file");
  check(H5Pset_sieve_buf_size(fapl, 0), sink, "open the file");
  const hid_t opened = H5Fopen(partial_path_.c_str(), H5F_ACC_RDWR, fapl);
  if (opened < 0) {
    const std::string detail = hdf5_error_detail();
    throw RuntimeFailure("HDF5 output '" + partial_path_ + "': cannot open the interrupted file to resume" +
                         (detail.empty() ? "" : " (" + detail + ")") + "; rerun without --resume");
  }
  impl_->file = Handle(opened, H5Fclose);
  sink.file = impl_->file;
}

std::unique_ptr<Hdf5Output> Hdf5Output::reopen_partial(const std::string& path, bool force) {
  return std::unique_ptr<Hdf5Output>(new Hdf5Output(path, force, ReopenTag{}));
}

void Hdf5Output::keep_partial_on_close() { impl_->keep_partial = true; }

void Hdf5Output::flush() {
  impl_->require_usable();
  check(H5Fflush(impl_->file, H5F_SCOPE_GLOBAL), impl_->sink, "flush the file");
}

bool Hdf5Output::exists(const std::string& object) const {
  impl_->require_usable();
  return link_exists(impl_->file, object);
}

void Hdf5Output::remove(const std::string& object) {
  impl_->require_usable();
  if (!link_exists(impl_->file, object)) return;
  check(H5Ldelete(impl_->file, object.c_str(), H5P_DEFAULT), impl_->sink, "remove '" + object + "'");
}

bool Hdf5Output::has_attribute(const std::string& object, const std::string& name) const {
  impl_->require_usable();
  if (!link_exists(impl_->file, object)) return false;
  Handle obj = open_object(impl_->file, object, impl_->sink);
  const htri_t e = H5Aexists(obj, name.c_str());
  if (e < 0) fail(impl_->sink, "query attribute '" + name + "'");
  return e > 0;
}

void Hdf5Output::write_attribute(const std::string& object, const std::string& name, const std::string& value) {
  impl_->require_usable();
  Handle obj = open_or_create_group(impl_->file, object, impl_->sink);
  write_string_attribute(obj, name.c_str(), value, impl_->sink);
}

void Hdf5Output::write_attribute(const std::string& object, const std::string& name, int64_t value) {
  impl_->require_usable();
  Handle obj = open_or_create_group(impl_->file, object, impl_->sink);
  write_scalar_attribute<int64_t>(obj, name.c_str(), value, impl_->sink);
}

void Hdf5Output::write_attribute(const std::string& object, const std::string& name, double value) {
  impl_->require_usable();
  Handle obj = open_or_create_group(impl_->file, object, impl_->sink);
  write_scalar_attribute<double>(obj, name.c_str(), value, impl_->sink);
}

std::string Hdf5Output::string_attribute(const std::string& object, const std::string& name) const {
  impl_->require_usable();
  Handle obj = open_object(impl_->file, object, impl_->sink);
  return read_string_attribute(obj, name.c_str(), impl_->sink);
}

int64_t Hdf5Output::int_attribute(const std::string& object, const std::string& name) const {
  impl_->require_usable();
  Handle obj = open_object(impl_->file, object, impl_->sink);
  return read_numeric_attribute<int64_t>(obj, name, H5T_NATIVE_INT64, impl_->sink);
}

double Hdf5Output::double_attribute(const std::string& object, const std::string& name) const {
  impl_->require_usable();
  Handle obj = open_object(impl_->file, object, impl_->sink);
  return read_numeric_attribute<double>(obj, name, H5T_NATIVE_DOUBLE, impl_->sink);
}

void Hdf5Output::write_table(const std::string& group, const std::string& name, const std::vector<double>& values,
                             const char* units, const char* description, std::vector<uint64_t> dims) {
  impl_->require_usable();
  write_table_impl(impl_->file, group, name, values, units, description, dims, impl_->sink);
}
void Hdf5Output::write_table(const std::string& group, const std::string& name, const std::vector<int64_t>& values,
                             const char* units, const char* description, std::vector<uint64_t> dims) {
  impl_->require_usable();
  write_table_impl(impl_->file, group, name, values, units, description, dims, impl_->sink);
}
void Hdf5Output::write_table(const std::string& group, const std::string& name, const std::vector<uint64_t>& values,
                             const char* units, const char* description, std::vector<uint64_t> dims) {
  impl_->require_usable();
  write_table_impl(impl_->file, group, name, values, units, description, dims, impl_->sink);
}
void Hdf5Output::write_table(const std::string& group, const std::string& name,
                             const std::vector<std::string>& values, const char* description) {
  impl_->require_usable();
  Handle g = open_or_create_group(impl_->file, group, impl_->sink);
  if (link_exists(g, name))
    check(H5Ldelete(g, name.c_str(), H5P_DEFAULT), impl_->sink, "replace dataset '" + name + "'");
  write_strings(g, name.c_str(), values, description, impl_->sink);
}

std::vector<double> Hdf5Output::read_doubles(const std::string& dataset) const {
  impl_->require_usable();
  return read_converted<double>(impl_->file, dataset, H5T_NATIVE_DOUBLE, impl_->sink);
}

std::vector<std::string> read_string_dataset(const std::string& path, const std::string& dataset) {
  Handle file = open_for_reading(path);
  return read_strings(file, dataset, path);
}

std::vector<double> read_double_dataset(const std::string& path, const std::string& dataset) {
  Handle file = open_for_reading(path);
  return read_converted<double>(file, dataset, H5T_NATIVE_DOUBLE, Sink(path));
}

std::vector<int64_t> read_int_dataset(const std::string& path, const std::string& dataset) {
  Handle file = open_for_reading(path);
  return read_converted<int64_t>(file, dataset, H5T_NATIVE_INT64, Sink(path));
}

std::string read_attribute_text(const std::string& path, const std::string& object, const std::string& name) {
  Handle file = open_for_reading(path);
  const Sink sink(path);
  Handle obj = open_object(file, object, sink);
  if (H5Aexists(obj, name.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw RuntimeFailure("HDF5 output '" + path + "': '" + object + "' has no attribute '" + name + "'");
  }
  Handle attr = checked(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, sink, "read attribute '" + name + "'");
  Handle type = checked(H5Aget_type(attr), H5Tclose, sink, "read attribute '" + name + "'");
  if (H5Tget_class(type) == H5T_STRING) return read_string_attribute(obj, name.c_str(), sink);
  if (H5Tget_class(type) == H5T_FLOAT) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", read_numeric_attribute<double>(obj, name, H5T_NATIVE_DOUBLE, sink));
    return buf;
  }
  return std::to_string(read_numeric_attribute<int64_t>(obj, name, H5T_NATIVE_INT64, sink));
}

void write_run_output(Hdf5Output& output, const Scenario& sc, const std::vector<RunResult>& runs,
                      const std::string& command_line) {
  output.write_provenance(Provenance{sc.name, sc.resolved_yaml, sc.source_file, sc.run.seed, kVersion, kGitCommit,
                                     command_line});
  for (size_t r = 0; r < runs.size(); ++r) {
    char group[32];
    std::snprintf(group, sizeof group, "/runs/%04zu", r);
    output.write_run(group, runs[r]);
  }
  output.commit();
}

}  // namespace commsim

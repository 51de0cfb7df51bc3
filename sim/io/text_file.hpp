// Text outputs (summary JSON, calibrated scenarios) written so that a reader never sees half a
// file: through "<path>.partial" and a rename, like the HDF5 outputs (hdf5_output.hpp).
#pragma once
#include <string>

namespace commsim {

// Writes `text` to `path` through `path`.partial and a rename. InputError (key `option`, e.g.
// "--summary-json") when the file cannot be created; RuntimeFailure when writing or the rename
// fails (the partial file is removed).
void write_text_atomically(const std::string& path, const std::string& text, const std::string& option);

}  // namespace commsim

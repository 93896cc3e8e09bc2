// Human-readable descriptions of a model for --print-signature and messages.
#ifndef QUILT_RUNTIME_SIGNATURE_H
#define QUILT_RUNTIME_SIGNATURE_H

#include "model_info.h"

#include <string>

namespace quilt {

/// "split: dim 2 by x, dim 3 by y" or "replicated".
std::string splitDescription(const IoSpec &io, const ModelInfo &info);

/// Which mesh coordinates each world rank takes (the plan's placement).
std::string placementText(const ModelInfo &info);

/// The full --print-signature text.
std::string signatureText(const ModelInfo &info);

} // namespace quilt

#endif // QUILT_RUNTIME_SIGNATURE_H

#include "base/error.h"

#include <exception>

namespace kiln {

void rethrow_with_context(const std::string& context) {
  try {
    throw;
  } catch (const SystemError& e) {
    throw SystemError::with_message(e.code(), context + ": " + e.what());
  } catch (const UsageError& e) {
    throw UsageError(context + ": " + e.what());
  } catch (const ExitCodeError& e) {
    throw ExitCodeError(context + ": " + e.what(), e.exit_code());
  } catch (const IoError& e) {
    throw IoError(context + ": " + e.what());
  } catch (const std::exception& e) {
    throw Error(context + ": " + e.what());
  }
}

}  // namespace kiln

// SPDX-License-Identifier: Apache-2.0
// Compiles the public header alone as C++ with -Werror.
#include "ccr.h"

int ccr_headertest_cxx();
int ccr_headertest_cxx()
{
	return CCR_VERSION_MAJOR >= 0 && CCR_OK == 0;
}

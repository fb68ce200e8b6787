/* SPDX-License-Identifier: Apache-2.0 */
/* Compiles the public header alone as strict C99 with -Werror. */
#include "ccr.h"

int ccr_headertest_c(void);
int ccr_headertest_c(void)
{
	return CCR_VERSION_MAJOR >= 0 && CCR_OK == 0;
}

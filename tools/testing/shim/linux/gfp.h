/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: the GFP bits the core looks at. */
#ifndef _SHIM_LINUX_GFP_H
#define _SHIM_LINUX_GFP_H

#include <linux/types.h>

#define __GFP_DIRECT_RECLAIM	0x01u
#define __GFP_ZERO		0x02u
#define __GFP_NOWARN		0x04u
#define __GFP_ACCOUNT		0x08u
#define __GFP_HIGH		0x10u
#define __GFP_NOFAIL		0x20u
#define GFP_KERNEL		__GFP_DIRECT_RECLAIM
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_USER		GFP_KERNEL
#define GFP_ATOMIC		__GFP_HIGH
#define GFP_NOWAIT		0u

static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return gfp & __GFP_DIRECT_RECLAIM;
}

#endif

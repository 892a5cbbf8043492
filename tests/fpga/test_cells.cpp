// lutra::fpga tests — being written (issue 6).
